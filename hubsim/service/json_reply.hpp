#pragma once
// How the service API answers: always `Content-Type: application/json`, errors in IoT Hub's shape
// {"Message":"ErrorCode:{code};{text}","ExceptionMessage":""}.

#include <string>

#include "hubsim/common/hub_service.hpp"

namespace httplib {
struct Response;
}

namespace hubsim {

ServiceResult error_result(int status, const std::string& code, const std::string& text);

// Writes `result` to `response` (status, JSON body; 204 answers carry no body).
void write_result(const ServiceResult& result, httplib::Response& response);

}  // namespace hubsim
