# The Debian package (CPack DEB generator): `cpack -G DEB` in a build tree once `hubgate` and the
# plugins are built, or the `make deb` target. The package holds three install components: the
# plugins' own `plugins` and `plugin_sdk`, and `service` declared here (the hubgate binary, the
# systemd units, sysusers and tmpfiles snippets, the example configuration and the docs).
# `make deb` also writes hubsim's own package (cmake/HubsimPackaging.cmake, component `hubsim`);
# everything else with an install rule stays out of both.
include(GNUInstallDirs)

set(_hubgate_root ${CMAKE_CURRENT_LIST_DIR}/..)

# The binary by file, not by target: this file may be included before gateway/ defines it.
install(PROGRAMS $<TARGET_FILE:hubgate> DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT service)
# install(PROGRAMS) is never stripped by CPACK_STRIP_FILES (only install(TARGETS) is): strip here.
if(CMAKE_STRIP)
  install(CODE "
    if(CMAKE_INSTALL_DO_STRIP)
      execute_process(COMMAND \"${CMAKE_STRIP}\"
        \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/hubgate\")
    endif()" COMPONENT service)
endif()

install(FILES ${_hubgate_root}/systemd/hubgate.service ${_hubgate_root}/systemd/hubgate.socket
        DESTINATION lib/systemd/system COMPONENT service)
install(FILES ${_hubgate_root}/systemd/hubgate.sysusers
        DESTINATION lib/sysusers.d RENAME hubgate.conf COMPONENT service)
install(FILES ${_hubgate_root}/systemd/hubgate.tmpfiles
        DESTINATION lib/tmpfiles.d RENAME hubgate.conf COMPONENT service)
install(FILES ${_hubgate_root}/config/hubgate.toml
        DESTINATION /etc/hubgate COMPONENT service)
install(DIRECTORY ${_hubgate_root}/config/mappings/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/mappings COMPONENT service)
install(FILES ${_hubgate_root}/README.md ${_hubgate_root}/PLUGINS.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT service)
# hubsim's own pages stay out: the emulator is not part of the gateway's package.
install(DIRECTORY ${_hubgate_root}/docs/
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT service FILES_MATCHING PATTERN "*.md"
        PATTERN "hubsim*" EXCLUDE)

# Man pages (rendered at build time by packaging/man) and bash completion. hubsim's page,
# ${HUBGATE_MAN_DIR}/hubsim.1.gz, and its completion (this same file, as completions/hubsim)
# belong to the hubsim package.
install(FILES ${HUBGATE_MAN_DIR}/hubgate.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8
        COMPONENT service)
install(FILES ${HUBGATE_MAN_DIR}/hubgate.toml.5.gz ${HUBGATE_MAN_DIR}/hubgate-mappings.5.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 COMPONENT service)
install(FILES ${_hubgate_root}/packaging/completion/hubgate
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT service)

# The Debian changelog: packaging/debian/changelog.in with this build's version; UNRELEASED
# unless built at a release tag. gzip -9n, as Debian policy asks. Named changelog.gz, not
# changelog.Debian.gz: the version has no Debian revision, so this is a native package.
if(HUBGATE_GIT_DESCRIPTION MATCHES "^v[0-9.]+$")
  set(HUBGATE_DISTRIBUTION unstable)
else()
  set(HUBGATE_DISTRIBUTION UNRELEASED)
endif()
configure_file(${_hubgate_root}/packaging/debian/changelog.in
               ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
find_program(GZIP_EXECUTABLE gzip REQUIRED)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  COMMAND ${GZIP_EXECUTABLE} -9nkf ${CMAKE_BINARY_DIR}/packaging/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog
  COMMENT "Debian changelog" VERBATIM)
add_custom_target(hubgate_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT service)

# The Grafana dashboard and Prometheus alert rules (docs/operations.md, "Dashboards and alerts").
install(FILES ${_hubgate_root}/packaging/monitoring/hubgate-dashboard.json
              ${_hubgate_root}/packaging/monitoring/hubgate-alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hubgate/monitoring COMPONENT service)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hubgate)
# The version `hubgate --version` prints (cmake/Version.cmake: git describe at configure time).
set(CPACK_PACKAGE_VERSION ${HUBGATE_VERSION})
set(CPACK_PACKAGE_VENDOR "hubgate")
set(CPACK_PACKAGE_CONTACT "hubgate maintainers <hubgate@localhost>")
set(CPACK_DEBIAN_HUBGATE_DESCRIPTION  # per package: the shared summary would head hubsim's too
    "gateway from legacy MQTT devices to Azure IoT Hub, one device session each")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_STRIP_FILES TRUE)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Named explicitly as well, so the package says what it needs even where dpkg-shlibdeps is
# unavailable; shlibdeps merges its findings into this list. procps: the unit's ExecReload runs
# /bin/kill, which a minimal Debian (a container, debootstrap's minbase) lacks: `systemctl
# reload hubgate` failed there with 203/EXEC (scripts/systemd-container-check.sh).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libmosquitto1, libpaho-mqttpp3-1, libssl3, libtomlplusplus3, libspdlog1.10, libsystemd0, procps, systemd | systemd-standalone-sysusers | adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS mosquitto)
# conffiles: dpkg keeps the operator's edits to /etc/hubgate/hubgate.toml on upgrade.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_hubgate_root}/packaging/conffiles ${_hubgate_root}/packaging/postinst ${_hubgate_root}/packaging/prerm
    ${_hubgate_root}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Two packages: hubgate (three components in one group) and hubsim (HubsimPackaging.cmake).
set(CPACK_COMPONENTS_ALL service plugins plugin_sdk hubsim)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
foreach(_component SERVICE PLUGINS PLUGIN_SDK)
  set(CPACK_COMPONENT_${_component}_GROUP hubgate)
endforeach()
set(CPACK_DEBIAN_HUBGATE_PACKAGE_NAME hubgate)
include(HubsimPackaging)
include(CPack)
