#include "hubsim/service/json_reply.hpp"

#include <httplib.h>

namespace hubsim {

ServiceResult error_result(int status, const std::string& code, const std::string& text) {
    return {status, json{{"Message", "ErrorCode:" + code + ";" + text}, {"ExceptionMessage", ""}}};
}

void write_result(const ServiceResult& result, httplib::Response& response) {
    response.status = result.status;
    // Telemetry payloads are device bytes: invalid UTF-8 is replaced rather than failing the call.
    const auto text = result.status == 204
                          ? std::string{}
                          : result.body.dump(-1, ' ', false, json::error_handler_t::replace);
    response.set_content(text, "application/json; charset=utf-8");
}

}  // namespace hubsim
