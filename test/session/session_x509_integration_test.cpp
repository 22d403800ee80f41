// X.509 client-certificate sessions against a private mosquitto that requires a client
// certificate (require_certificate), which proves the session presents the device's certificate
// and key over verified TLS, also with server certificates hubsim would not present. The daemon
// against hubsim's own client-certificate listener: test/daemon/auth_modes_integration_test.cpp.
#include <doctest/doctest.h>

#include "harness/ports.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "live_rig.hpp"

using namespace hubgate::session;
using namespace hubgate::session::test;
using hubgate::test::Process;
using hubgate::test::ScratchDir;

namespace {

// The openssl CLI (installed by scripts/install-deps.sh); Process needs a full path.
const std::string kOpensslCli = "/usr/bin/openssl";

// A CA, a server certificate for 127.0.0.1 (and one for another name only) and client
// certificates, made with the openssl CLI.
class TestPki {
  public:
    TestPki() {
        dir_.write("server.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        dir_.write("elsewhere.cnf", "subjectAltName=DNS:hub.elsewhere.example\n");
        make_ca("ca", "/CN=session test CA");
        make_ca("other-ca", "/CN=some other CA");
        issue("server", "ca", "/CN=127.0.0.1", true);
        issue("elsewhere", "ca", "/CN=hub.elsewhere.example", true);
    }
    std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
    void issue(const std::string& name, const std::string& ca, const std::string& subject,
               bool server = false) {
        run({kOpensslCli, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj",
             subject});
        std::vector<std::string> sign{kOpensslCli,
                                      "x509",
                                      "-req",
                                      "-in",
                                      path(name + ".csr"),
                                      "-CA",
                                      path(ca + ".pem"),
                                      "-CAkey",
                                      path(ca + ".key"),
                                      "-CAcreateserial",
                                      "-out",
                                      path(name + ".pem"),
                                      "-days",
                                      "1"};
        if (server) {
            sign.insert(sign.end(), {"-extfile", path(name + ".cnf")});
        }
        run(sign);
    }

  private:
    void make_ca(const std::string& name, const std::string& subject) {
        run({kOpensslCli, "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path(name + ".key"), "-out",
             path(name + ".pem"), "-subj", subject, "-days", "1"});
    }
    static void run(const std::vector<std::string>& argv) {
        const auto result = hubgate::test::run(argv);
        if (result.status != 0) {
            throw std::runtime_error("openssl failed: " + result.output);
        }
    }

    ScratchDir dir_{"session-pki"};
};

// A mosquitto that accepts only clients with a certificate from the test CA, presenting the
// server certificate `server`.
class CertBroker {
  public:
    explicit CertBroker(const TestPki& pki, const std::string& server = "server")
        : port_(hubgate::test::free_tcp_port()) {
        const auto conf =
            dir_.write("mosquitto.conf",
                       "user root\npersistence false\nlog_dest stderr\n"
                       "listener " +
                           std::to_string(port_) +
                           " 127.0.0.1\n"
                           "cafile " +
                           pki.path("ca.pem") + "\ncertfile " + pki.path(server + ".pem") +
                           "\nkeyfile " + pki.path(server + ".key") +
                           "\nrequire_certificate true\nuse_identity_as_username true\n"
                           "allow_anonymous true\ntls_version tlsv1.2\n");
        broker_ = std::make_unique<Process>(
            std::vector<std::string>{MOSQUITTO_EXECUTABLE, "-c", conf.string()});
        if (!hubgate::test::wait_for_port(port_, 10s)) {
            throw std::runtime_error("mosquitto did not start: " + broker_->output());
        }
    }
    int port() const { return port_; }
    std::string output() const { return broker_->output(); }

  private:
    ScratchDir dir_{"session-broker"};
    int port_;
    std::unique_ptr<Process> broker_;
};

SessionOptions x509_options(const TestPki& pki, int port) {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.connect_host = "127.0.0.1:" + std::to_string(port);
    options.ca_file = pki.path("ca.pem");
    options.auth.mode = AuthMode::X509;
    options.auth.device_cert = [&pki](const std::string& id) -> std::optional<X509Files> {
        if (id == "nocert") {
            return std::nullopt;
        }
        return X509Files{pki.path(id + ".pem"), pki.path(id + ".key")};
    };
    options.reconnect_backoff = {Millis(500), Millis(2000), 2.0};
    return options;
}

}  // namespace

TEST_CASE("X.509: the device's certificate and key are presented - no password sent") {
    TestPki pki;
    pki.issue("dev0", "ca", "/CN=dev0");
    CertBroker broker(pki);
    LiveRig rig(x509_options(pki, broker.port()));
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    CHECK_FALSE(rig.snapshot("dev0").token_expiry);  // nothing to renew
}

TEST_CASE("X.509: a certificate the server does not trust does not connect") {
    TestPki pki;
    pki.issue("stranger", "other-ca", "/CN=stranger");
    CertBroker broker(pki);
    LiveRig rig(x509_options(pki, broker.port()));
    rig.start();
    rig.sessions.ensure_session("stranger", {});
    REQUIRE(rig.listener.wait_state("stranger", SessionState::BackingOff));
    CHECK(rig.snapshot("stranger").counters.connects == 0);
}

TEST_CASE("X.509: a device without a certificate is refused without connecting") {
    TestPki pki;
    CertBroker broker(pki);
    LiveRig rig(x509_options(pki, broker.port()));
    rig.start();
    rig.sessions.ensure_session("nocert", {});
    REQUIRE(rig.listener.wait_state("nocert", SessionState::Refused));
    CHECK(rig.snapshot("nocert").counters.connect_attempts == 0);
    CHECK(rig.snapshot("nocert").reason.find("certificate") != std::string::npos);
}

TEST_CASE("X.509: a server certificate from the right CA but for another name is refused") {
    TestPki pki;
    pki.issue("dev0", "ca", "/CN=dev0");
    CertBroker broker(pki, "elsewhere");  // valid chain, but names hub.elsewhere.example only
    LiveRig rig(x509_options(pki, broker.port()));
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::BackingOff));
    CHECK(rig.snapshot("dev0").counters.connects == 0);
}
