#include "topic_trie.hpp"

namespace hubgate::mappings {

TopicTrie::TopicTrie() : root_(std::make_unique<Node>()) {}
TopicTrie::~TopicTrie() = default;
TopicTrie::TopicTrie(TopicTrie&&) noexcept = default;
TopicTrie& TopicTrie::operator=(TopicTrie&&) noexcept = default;

void TopicTrie::insert(const TopicPattern& pattern, std::uint32_t rule) {
    Node* node = root_.get();
    for (const TopicPattern::Level& level : pattern.levels()) {
        if (is_multi_level(level.kind)) {
            node->multi.push_back(rule);
            return;
        }
        std::unique_ptr<Node>* child = nullptr;
        if (level.kind == TopicPattern::LevelKind::literal) {
            child = &node->literal[std::string_view(level.text)];
        } else {
            child = &node->single;
        }
        if (!*child) {
            *child = std::make_unique<Node>();
        }
        node = child->get();
    }
    node->ending.push_back(rule);
}

}  // namespace hubgate::mappings
