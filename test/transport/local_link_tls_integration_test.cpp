// LocalLink over TLS with a client certificate, and username/password authentication.
#include <doctest/doctest.h>

#include "harness/ports.hpp"
#include "harness/process.hpp"
#include "link_observer.hpp"
#include "local_broker.hpp"

using namespace hubgate::transport;
using namespace hubgate::transport::test;

namespace {

void openssl(const std::filesystem::path& dir, std::vector<std::string> args) {
    args.insert(args.begin(), OPENSSL);
    const auto result = hubgate::test::run(args, 60s);
    REQUIRE_MESSAGE(result.status == 0, result.output);
    (void)dir;
}

// A test CA, a server certificate for 127.0.0.1 and a client certificate, all in `dir`.
void make_certificates(const hubgate::test::ScratchDir& dir) {
    const std::string d = dir.path().string() + "/";
    const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt",
                                             "ec_paramgen_curve:prime256v1", "-nodes"};
    auto req = [&](std::vector<std::string> args) {
        std::vector<std::string> all = {"req"};
        all.insert(all.end(), ec_key.begin(), ec_key.end());
        all.insert(all.end(), args.begin(), args.end());
        openssl(dir.path(), all);
    };
    req({"-x509", "-days", "2", "-subj", "/CN=hubgate test CA", "-keyout", d + "ca.key", "-out",
         d + "ca.pem"});
    dir.write("server.ext", "subjectAltName=IP:127.0.0.1\n");
    req({"-subj", "/CN=127.0.0.1", "-keyout", d + "server.key", "-out", d + "server.csr"});
    openssl(dir.path(), {"x509", "-req", "-days", "2", "-in", d + "server.csr", "-CA", d + "ca.pem",
                         "-CAkey", d + "ca.key", "-CAcreateserial", "-extfile", d + "server.ext",
                         "-out", d + "server.pem"});
    req({"-subj", "/CN=hubgate", "-keyout", d + "client.key", "-out", d + "client.csr"});
    openssl(dir.path(), {"x509", "-req", "-days", "2", "-in", d + "client.csr", "-CA", d + "ca.pem",
                         "-CAkey", d + "ca.key", "-CAcreateserial", "-out", d + "client.pem"});
}

}  // namespace

TEST_CASE(
    "TLS with a client certificate and username/password, and a wrong password never connects") {
    LocalBroker broker(false);  // the plain listener needs the password too
    const std::string d = broker.dir().path().string() + "/";
    make_certificates(broker.dir());
    REQUIRE(hubgate::test::run({MOSQUITTO_PASSWD, "-c", "-b", d + "passwd", "gateway", "s3cret-pw"})
                .status == 0);
    const int tls_port = hubgate::test::free_tcp_port();
    broker.add_config("password_file " + d + "passwd\n" + "listener " + std::to_string(tls_port) +
                      " 127.0.0.1\n" + "cafile " + d + "ca.pem\ncertfile " + d +
                      "server.pem\nkeyfile " + d + "server.key\nrequire_certificate true\n");
    broker.start();
    REQUIRE(hubgate::test::wait_for_port(tls_port, 10s));

    auto options = plain_options(tls_port, {"secure/#"}, "hubgate-tls");
    options.username = "gateway";
    options.password = "s3cret-pw";
    options.tls = LocalTlsOptions{d + "ca.pem", "", d + "client.pem", d + "client.key"};
    LinkObserver observer;
    LocalLink link(options, observer.handlers());
    std::string error;
    REQUIRE_MESSAGE(link.start(error), error);
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));
    REQUIRE(publish(broker.port(), "secure/dev", "over-tls", {"-u", "gateway", "-P", "s3cret-pw"}));
    CHECK(observer.wait_for_payload("over-tls"));

    auto wrong = options;
    wrong.client_id = "hubgate-wrong";
    wrong.password = "not-the-password";
    LinkObserver nobody;
    LocalLink refused(wrong, nobody.handlers());
    REQUIRE(refused.start(error));
    REQUIRE(eventually([&] { return refused.counters().connect_failures >= 2; }));
    CHECK(refused.counters().connects == 0);
    CHECK_FALSE(refused.connected());

    auto no_cert = options;
    no_cert.client_id = "hubgate-no-cert";
    no_cert.tls->cert_file.clear();
    no_cert.tls->key_file.clear();
    LocalLink anonymous_tls(no_cert, nobody.handlers());
    REQUIRE(anonymous_tls.start(error));
    REQUIRE(eventually([&] { return anonymous_tls.counters().connect_failures >= 2; }));
    CHECK(anonymous_tls.counters().connects == 0);
}
