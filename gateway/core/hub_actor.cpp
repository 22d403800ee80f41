#include "gateway/core/hub_actor.hpp"

#include <spdlog/spdlog.h>

namespace hubgate::core {

HubActor::HubActor(HubActorDeps deps)
    : sessions_(deps.settings.session, deps.settings.manager, deps.upstream, *this, deps.clock,
                &deps.kept_c2d),
      link_(sessions_),
      methods_(link_, deps.counters,
               HubThread{[this](std::function<void()> task) { sessions_.execute(std::move(task)); },
                         [this](SteadyTime when, std::function<void()> task) {
                             sessions_.execute_at(when, std::move(task));
                         },
                         deps.clock}),
      downlink_(DownlinkDeps{deps.mappings, deps.devices, deps.local, methods_, deps.counters,
                             &deps.desired, &deps.desired_writer, &deps.kept_c2d, deps.guard}),
      sender_(
          deps.spool, link_, deps.counters,
          [this](std::function<void()> task) { sessions_.execute(std::move(task)); },
          [this](const mappings::UplinkRoute& route, const session::TwinResult& result) {
              downlink_.deliver_twin_answer(route, result);
          },
          std::move(deps.space_freed)) {}

HubActor::~HubActor() {
    sender_.stop();
    sessions_.stop();
}

void HubActor::on_state(const std::string& device_id, session::SessionState state) {
    spdlog::debug("session {}: {}", device_id, session::to_string(state));
    sender_.session_state(device_id, state);
    if (state != session::SessionState::Connected) {
        methods_.session_lost(device_id);
    }
}

}  // namespace hubgate::core
