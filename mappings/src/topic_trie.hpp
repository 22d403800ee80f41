#pragma once
// Rules indexed by their pattern levels, so that finding the rules that may match a topic costs
// about the number of topic levels, not the number of rules.

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hubgate/mappings/topic_pattern.hpp"

namespace hubgate::mappings {

// A trie over topic levels; literal children, one single-level child (+ and {x}), and the rules
// that end at a node or continue with a multi-level wildcard there.
class TopicTrie {
  public:
    TopicTrie();
    ~TopicTrie();
    TopicTrie(TopicTrie&&) noexcept;
    TopicTrie& operator=(TopicTrie&&) noexcept;

    // `pattern` must outlive the trie (literal keys are views into it); rules must be inserted
    // in precedence order for equal shapes (load order).
    void insert(const TopicPattern& pattern, std::uint32_t rule);

    // Calls `accept(rule)` for the candidate rules of `topic`, most specific first (literal >
    // single-level > multi-level, level by level from the left; then insertion order), until
    // it returns true. Returns the accepted rule or -1. Candidates are shape matches; `accept`
    // checks what the trie does not (non-empty captures, '$' topics).
    template <typename Accept>
    std::int64_t find(std::string_view topic, Accept&& accept) const {
        return visit(*root_, topic, 0, false, accept);
    }

  private:
    struct Node {
        std::unordered_map<std::string_view, std::unique_ptr<Node>> literal;
        std::unique_ptr<Node> single;
        std::vector<std::uint32_t> ending;
        std::vector<std::uint32_t> multi;
    };

    template <typename Accept>
    static std::int64_t visit(const Node& node, std::string_view topic, std::size_t pos, bool done,
                              Accept& accept) {
        if (done) {
            for (std::uint32_t rule : node.ending) {
                if (accept(rule))
                    return rule;
            }
        } else {
            const std::size_t slash = topic.find('/', pos);
            const std::string_view level = topic.substr(
                pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
            const bool last = slash == std::string_view::npos;
            const std::size_t next = last ? topic.size() : slash + 1;
            if (!node.literal.empty()) {
                const auto child = node.literal.find(level);
                if (child != node.literal.end()) {
                    const std::int64_t found = visit(*child->second, topic, next, last, accept);
                    if (found >= 0)
                        return found;
                }
            }
            if (node.single) {
                const std::int64_t found = visit(*node.single, topic, next, last, accept);
                if (found >= 0)
                    return found;
            }
        }
        for (std::uint32_t rule : node.multi) {
            if (accept(rule))
                return rule;
        }
        return -1;
    }

    std::unique_ptr<Node> root_;
};

}  // namespace hubgate::mappings
