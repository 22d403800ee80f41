#pragma once
// The one check every value from the cloud passes before it is put into a local topic: a method
// name, a request id, a C2D property bag, a status or a version must fill exactly the place its
// placeholder holds, and never add a topic level, a wildcard or a `$` system topic.

#include <optional>
#include <string>
#include <string_view>

namespace hubgate::mappings {

// How a value may begin. A C2D message's {properties} is hubgate's own percent-encoded property
// bag, in which system properties keep their literal "$." names ("$.mid=1&a=b"): it may start
// with '$' (a rendered topic that starts with '$' is refused as a whole, see local_topic_error).
enum class LeadingDollar : bool { refused, allowed };

// Why `value`, the value of the placeholder {`name`}, cannot go into a local topic; nullopt when
// it can. Refused: '/', '+', '#', a NUL byte anywhere, and '$' as the first character (unless
// `dollar` allows it). The explanation shows the value with control bytes escaped and clipped.
std::optional<std::string> downlink_value_problem(std::string_view name, std::string_view value,
                                                  LeadingDollar dollar = LeadingDollar::refused);

}  // namespace hubgate::mappings
