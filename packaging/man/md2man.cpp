// md2man: renders one Markdown file as a man page (markdown_roff.hpp). Used by the build only.
//   md2man IN.md OUT NAME SECTION VERSION SUMMARY [SEE-ALSO...]
#include <cstdio>
#include <fstream>
#include <sstream>

#include "markdown_roff.hpp"

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr,
                     "usage: md2man IN.md OUT NAME SECTION VERSION SUMMARY [SEE-ALSO...]\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "md2man: cannot read %s\n", argv[1]);
        return 1;
    }
    std::ostringstream markdown;
    markdown << in.rdbuf();
    hubgate::man::PageInfo page{argv[3], argv[4], argv[6], argv[5], {argv + 7, argv + argc}};
    std::ofstream out(argv[2]);
    out << hubgate::man::markdown_to_roff(markdown.str(), page);
    out.close();
    if (!out) {
        std::fprintf(stderr, "md2man: cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}
