#include "rule_overlaps.hpp"

namespace hubgate::mappings {

namespace {

// Rank of a level in precedence order; a pattern that has ended ranks before a multi-level
// wildcard that would match zero levels.
int level_rank(const TopicPattern& pattern, std::size_t index) {
    if (index >= pattern.levels().size())
        return -1;
    switch (pattern.levels()[index].kind) {
        case TopicPattern::LevelKind::literal:
            return 0;
        case TopicPattern::LevelKind::single_wildcard:
        case TopicPattern::LevelKind::capture:
            return 1;
        default:
            return 2;
    }
}

std::string position_text(const SourcePosition& position) {
    return std::string(position.file) + ":" + std::to_string(position.line);
}

}  // namespace

int compare_precedence(const UplinkRule& a, std::size_t a_index, const UplinkRule& b,
                       std::size_t b_index) {
    const std::size_t depth = std::max(a.pattern.levels().size(), b.pattern.levels().size());
    for (std::size_t i = 0; i < depth; ++i) {
        const int rank_a = level_rank(a.pattern, i);
        const int rank_b = level_rank(b.pattern, i);
        if (rank_a != rank_b)
            return rank_a < rank_b ? -1 : 1;
        if (rank_a == -1 || rank_a == 2)
            break;
    }
    return a_index < b_index ? -1 : (a_index > b_index ? 1 : 0);
}

void report_overlaps(const MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics) {
    const auto& rules = impl.rules;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        for (std::size_t j = i + 1; j < rules.size(); ++j) {
            if (!rules[i].pattern.overlaps(rules[j].pattern))
                continue;
            const bool first_wins = compare_precedence(rules[i], i, rules[j], j) < 0;
            const UplinkRule& winner = first_wins ? rules[i] : rules[j];
            const bool same_shape =
                compare_precedence(rules[i], 0, rules[j], 0) == 0;  // ties only by order
            const UplinkRule& later = rules[j];
            diagnostics.push_back(LoadDiagnostic{
                LoadDiagnostic::Severity::warning, std::string(later.position.file),
                later.position.line, later.position.column,
                "topic pattern \"" + later.pattern.text() + "\" and \"" + rules[i].pattern.text() +
                    "\" (" + position_text(rules[i].position) + ") can match the same topic; \"" +
                    winner.pattern.text() + "\" (" + position_text(winner.position) +
                    ") wins: " + (same_shape ? "loaded first" : "more specific")});
        }
    }
}

}  // namespace hubgate::mappings
