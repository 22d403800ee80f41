// The bash completion (packaging/completion/hubgate) and the man pages' sources checked against
// the commands' own help: every verb `CMD --help` lists and every option `CMD VERB --help` names
// is completed and documented, so neither can fall behind the commands.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using hubgate::test::read_file;
using hubgate::test::run;
using namespace std::chrono_literals;

namespace {

const std::string kSource = HUBGATE_SOURCE_DIR;
const std::string kBin = HUBGATE_BIN_DIR;

std::set<std::string> lines_of(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            out.insert(line);
    }
    return out;
}

// The verbs a command's usage lists under "commands:".
std::vector<std::string> verbs(const std::string& command) {
    const auto help = run({kBin + "/" + command, "--help"}, 30s).output;
    std::vector<std::string> out;
    static const std::regex verb_line(R"(\n  ([a-z][a-z0-9-]*) )");
    const auto from = help.find("commands:");
    REQUIRE(from != std::string::npos);
    for (std::sregex_iterator it(help.begin() + static_cast<long>(from), help.end(), verb_line),
         end;
         it != end; ++it) {
        out.push_back((*it)[1]);
    }
    return out;
}

// The options a verb's usage names (its --help, or the usage printed for an unknown option).
std::set<std::string> options(const std::string& command, const std::string& verb) {
    auto usage = run({kBin + "/" + command, verb, "--help"}, 30s).output;
    if (const auto complaint = usage.find("unknown option --help"); complaint != std::string::npos)
        usage.erase(complaint, usage.find('\n', complaint) - complaint);
    std::set<std::string> out;
    static const std::regex option(R"((^|[\[\] (|])(--?[a-zA-Z][a-zA-Z0-9-]*))");
    for (std::sregex_iterator it(usage.begin(), usage.end(), option), end; it != end; ++it) {
        out.insert((*it)[2]);
    }
    return out;
}

// What the completion offers for `words` (the last one is the word being completed), run the
// way bash runs it: the function `complete -p` names, with COMP_WORDS and COMP_CWORD set.
// `command` is hubgate or hubsim from the build, or a path to another executable.
std::set<std::string> complete(const std::string& command, std::vector<std::string> words) {
    const std::string path =
        command.find('/') == std::string::npos ? kBin + "/" + command : command;
    const std::string name = path.substr(path.rfind('/') + 1);
    const std::string script =
        "source \"$0\" || exit 9\n"
        "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}\n"
        "fn=$(complete -p " +
        std::string(name == "hubsim" ? "hubsim" : "hubgate") +
        " | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n"
        "\"$fn\" \"$1\" \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    std::vector<std::string> argv{BASH, "--norc", "--noprofile",
                                  "-c", script,   kSource + "/packaging/completion/hubgate",
                                  path};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto result = run(argv, 60s);
    REQUIRE(result.status == 0);
    return lines_of(result.output);
}

}  // namespace

TEST_CASE("bash completes every verb and every option of hubgate and hubsim") {
    for (const std::string command : {"hubgate", "hubsim"}) {
        CAPTURE(command);
        const auto all = verbs(command);
        REQUIRE(all.size() >= 5);
        CHECK(complete(command, {""}) == std::set<std::string>(all.begin(), all.end()));
        for (const auto& verb : all) {
            CAPTURE(verb);
            CHECK(complete(command, {verb.substr(0, 2)}).count(verb) == 1);
            const auto completed = complete(command, {verb, "-"});
            for (const auto& option : options(command, verb)) {
                CAPTURE(option);
                CHECK(completed.count(option) == 1);
            }
        }
    }
}

TEST_CASE("bash completes option values the usage names") {
    CHECK(complete("hubgate", {"map", "--kind", "desired"}) ==
          std::set<std::string>{"desired", "desired_patch"});
    CHECK(complete("hubgate", {"check", "-c", kSource + "/config/hubgate.to"}) ==
          std::set<std::string>{kSource + "/config/hubgate.toml"});
    CHECK(complete("hubgate", {"--ver"}) == std::set<std::string>{"--version"});
    CHECK(complete("hubsim", {"enrollment", ""}) == std::set<std::string>{"add", "delete", "show"});
    CHECK(complete("hubsim", {"device", ""}) == std::set<std::string>{"add"});
    CHECK(complete("hubgate", {"token", "--device", ""}).empty());  // an ID: nothing to guess
}

TEST_CASE("a verb's own verbs come from its summary or its usage line") {
    // A command whose `plugin` verb says "usage: CMD plugin info FILE" (as a verb may that has
    // no summary starting with its name): `CMD plugin <TAB>` offers info.
    hubgate::test::ScratchDir dir("completion");
    const auto command =
        dir.write("tool",
                  "#!/bin/sh\n"
                  "if [ \"$1\" = --help ]; then\n"
                  "  printf 'usage: tool <command>\\n\\ncommands:\\n"
                  "  plugin   show a plugin\\n  other    something else\\n'\n"
                  "else\n"
                  "  printf 'usage: tool %s info FILE\\n       tool %s --all\\n' \"$1\" \"$1\"\n"
                  "fi\n");
    std::filesystem::permissions(command, std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    CHECK(complete(command.string(), {""}) == std::set<std::string>{"other", "plugin"});
    CHECK(complete(command.string(), {"plugin", ""}) == std::set<std::string>{"info"});
    CHECK(complete(command.string(), {"plugin", "--"}) == std::set<std::string>{"--all", "--help"});
}

TEST_CASE("the man pages document every verb and option the commands' help lists") {
    for (const auto& [command, page] :
         {std::pair<std::string, std::string>{"hubgate", "hubgate.8.md"},
          {"hubsim", "hubsim.1.md"}}) {
        CAPTURE(command);
        const auto text = read_file(kSource + "/packaging/man/" + page);
        for (const auto& verb : verbs(command)) {
            CAPTURE(verb);
            CHECK(text.find(verb) != std::string::npos);
            for (const auto& option : options(command, verb)) {
                CAPTURE(option);
                CHECK(text.find(option) != std::string::npos);
            }
        }
    }
    // hubgate's page gives each verb a section of its own.
    const auto hubgate_page = read_file(kSource + "/packaging/man/hubgate.8.md");
    for (const auto& verb : verbs("hubgate")) {
        CAPTURE(verb);
        CHECK(hubgate_page.find("\n### " + verb + "\n") != std::string::npos);
    }
}
