#pragma once
// Message ids ($.mid) assigned by the spool at append time: random UUIDs (version 4), so they stay
// unique across restarts and across gateway instances without any stored counter.

#include <string>

namespace hubgate::spool {

std::string new_message_id();

}  // namespace hubgate::spool
