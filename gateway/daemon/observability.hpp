#pragma once
// What operators can ask a running daemon: the Prometheus endpoint (when metrics.listen is set)
// and the control socket of `hubgate status` (and of `hubgate provision`, which asks the DPS
// provisioner to register a device again). Both read the bridge when asked, on their own
// threads; nothing is counted twice.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/control/control_server.hpp"
#include "gateway/control/status_snapshot.hpp"
#include "gateway/daemon/device_series.hpp"
#include "gateway/daemon/observed_counts.hpp"
#include "gateway/metrics/registry.hpp"

namespace hubgate::metrics {
class MetricsServer;
}

namespace hubgate::daemon {

class Bridge;

// The metrics endpoint and the control socket of one running bridge.
class Observability {
  public:
    // `bridge` must be started and outlive this object.
    explicit Observability(Bridge& bridge);
    ~Observability();  // stops
    Observability(const Observability&) = delete;
    Observability& operator=(const Observability&) = delete;

    // Opens the control socket (control.socket) and, when metrics.listen is set, the metrics
    // endpoint. Returns why the daemon must not run, or nullopt.
    //
    // The two failures are treated differently on purpose. A metrics endpoint is off unless the
    // operator asked for one: if it cannot listen (port taken, address not local), running
    // without it would look healthy while the monitoring goes blind, so start-up fails and the
    // service manager shows why. The control socket is always on: failing to open it (say,
    // /run/hubgate missing when run by hand) is logged as an error, and the daemon keeps
    // bridging, since refusing to forward every device's messages over a status socket would
    // hurt more than a `hubgate status` that cannot connect.
    std::optional<std::string> start();
    // Closes both; no scrape or status request is served afterwards. Call before the bridge
    // stops.
    void stop();

    // The bridge's numbers now (on the calling thread; waits for the session manager's loop).
    metrics::GatewayCounts gateway_counts();
    control::StatusSnapshot status();

  private:
    // One scrape: the metric set, and the per-device series when metrics.per_device is on.
    void scrape(metrics::TextExposition& out);
    // DPS registrations started again (0 without DPS).
    std::uint64_t reprovisions() const;
    // The control socket's provisioning requests (only with DPS on).
    control::ProvisioningAnswer provisioning_of(const std::string& device_id, bool register_again);
    // The metric set from `sessions`, a snapshot taken under totals_mutex_ (held by the caller).
    metrics::GatewayCounts counts_from(const std::vector<session::SessionSnapshot>& sessions);

    Bridge& bridge_;
    std::mutex totals_mutex_;  // scrapes and status requests come on different threads
    MonotonicSessionTotals totals_;
    std::optional<DeviceSeries> device_series_;  // metrics.per_device; under totals_mutex_
    metrics::Registry registry_;
    std::unique_ptr<metrics::MetricsServer> metrics_;
    std::unique_ptr<control::ControlServer> control_;
};

}  // namespace hubgate::daemon
