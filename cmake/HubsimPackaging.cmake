# The `hubsim` Debian package, built by `make deb` beside `hubgate` (included by Packaging.cmake
# before CPack): the IoT Hub emulator for other projects' CI. The binary and the broker plugin
# install themselves in component `hubsim` (hubsim/cli, hubsim/plugin); its docs and example
# configuration are added here. It holds nothing of hubgate and needs no maintainer scripts.
set(_hubsim_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/hubsim)
install(DIRECTORY ${_hubgate_root}/docs/ DESTINATION ${_hubsim_docdir} COMPONENT hubsim
        FILES_MATCHING PATTERN "hubsim*.md")
install(FILES ${_hubgate_root}/config/hubsim.toml
        DESTINATION ${_hubsim_docdir}/examples COMPONENT hubsim)
# hubsim(1), rendered at build time by packaging/man, and the completion script that serves both
# commands (it asks the command itself for its verbs and options).
install(FILES ${HUBGATE_MAN_DIR}/hubsim.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        COMPONENT hubsim)
install(FILES ${_hubgate_root}/packaging/completion/hubgate
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME hubsim
        COMPONENT hubsim)

set(CPACK_COMPONENT_HUBSIM_GROUP hubsim)
set(CPACK_DEBIAN_HUBSIM_PACKAGE_NAME hubsim)
set(CPACK_DEBIAN_HUBSIM_DESCRIPTION
    "Azure IoT Hub emulator for tests: device MQTT, service REST API and DPS on local ports")
# hubsim runs mosquitto with its plugin; shlibdeps adds the libraries of both files.
set(CPACK_DEBIAN_HUBSIM_PACKAGE_DEPENDS "mosquitto (>= 2.0)")
set(CPACK_DEBIAN_HUBSIM_PACKAGE_SECTION devel)
# Without a control list of its own, hubsim would get hubgate's maintainer scripts: an empty
# conffiles instead. No scripts at all, so `dpkg -r` leaves nothing (a postrm would keep the
# package in state config-files until purge): the plugin is one folder deeper than /usr/lib/*,
# where CPack would add ldconfig scripts.
set(CPACK_DEBIAN_HUBSIM_PACKAGE_CONTROL_EXTRA ${_hubgate_root}/packaging/hubsim/conffiles)
