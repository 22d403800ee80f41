# hubsim_hub: the emulated hub behind the plugin callbacks (state, device rules, broker task
# queue), without mosquitto, so that unit tests can drive it with a fake broker. Included by
# hubsim/plugin and, in the sanitizer tree (which skips hubsim/), by test/hubsim_plugin.
add_library(hubsim_hub STATIC
  ${CMAKE_CURRENT_LIST_DIR}/broker_tasks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_device_side.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_service_side.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dps_device_side.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dps_service_side.cpp)
hubgate_defaults(hubsim_hub)
target_include_directories(hubsim_hub PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(hubsim_hub PUBLIC hubsim_core Threads::Threads)
