// dlopen, dlsym of the entry point, and the descriptor checks that make an ABI mismatch a clear
// load-time error instead of a crash on the first message.
#include "hubgate/plugins/plugin_library.hpp"

#include <dlfcn.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <system_error>

#include "declared_settings.hpp"
#include "hubgate/plugins/plugin_error.hpp"

namespace hubgate::plugins {
namespace {

// The 1.0 descriptor ends with `destroy`; a plugin of any 1.x minor is at least this large.
constexpr size_t kMinDescriptorSize =
    offsetof(hubgate_plugin_descriptor, destroy) + sizeof(hubgate_plugin_descriptor::destroy);

std::string dl_error() {
    const char* message = dlerror();
    return message != nullptr ? message : "unknown dlopen error";
}

std::string text_or_empty(const char* text) {
    return text != nullptr ? text : "";
}

hubgate_plugin_descriptor checked_copy(const hubgate_plugin_descriptor* source,
                                       const std::string& file) {
    if (source == nullptr) {
        throw PluginError(fmt::format("{}: {}() returned NULL", file, HUBGATE_PLUGIN_ENTRY_SYMBOL));
    }
    if (source->abi_major != HUBGATE_PLUGIN_ABI_MAJOR) {
        throw PluginError(fmt::format(
            "{}: built for plugin ABI {}.{}, this hubgate supports {}.x: rebuild the plugin "
            "against this hubgate's hubgate/plugin.h",
            file, source->abi_major, source->abi_minor, HUBGATE_PLUGIN_ABI_MAJOR));
    }
    if (source->struct_size < kMinDescriptorSize) {
        throw PluginError(fmt::format(
            "{}: descriptor struct_size {} is smaller than the ABI {}.0 descriptor ({} bytes): "
            "set struct_size = sizeof(hubgate_plugin_descriptor)",
            file, source->struct_size, HUBGATE_PLUGIN_ABI_MAJOR, kMinDescriptorSize));
    }
    // A newer minor may have appended fields: copy only what this host knows.
    hubgate_plugin_descriptor copy{};
    std::memcpy(&copy, source, std::min<size_t>(source->struct_size, sizeof copy));
    if (copy.name == nullptr || copy.name[0] == '\0' || copy.version == nullptr) {
        throw PluginError(fmt::format("{}: descriptor has no name or no version", file));
    }
    if (copy.create == nullptr || copy.destroy == nullptr) {
        throw PluginError(fmt::format("{}: descriptor has no create or no destroy function", file));
    }
    return copy;
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw PluginError(fmt::format("{}: plugin file not found", file));
    }
    std::shared_ptr<PluginLibrary> library(new PluginLibrary());
    library->info_.file = path;
    // RTLD_LOCAL: a plugin's symbols (its own copy of a JSON library, say) never resolve another
    // plugin's references. RTLD_NOW: an unresolved symbol fails here, not on the first message.
    // An absolute path: dlopen must never search the library path for a bare file name.
    library->handle_ = dlopen(std::filesystem::absolute(path).c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library->handle_ == nullptr) {
        throw PluginError(fmt::format("{}: cannot load: {}", file, dl_error()));
    }
    dlerror();
    void* entry = dlsym(library->handle_, HUBGATE_PLUGIN_ENTRY_SYMBOL);
    if (entry == nullptr) {
        throw PluginError(
            fmt::format("{}: does not export {}(): not a hubgate plugin, or the entry point lacks "
                        "HUBGATE_PLUGIN_EXPORT",
                        file, HUBGATE_PLUGIN_ENTRY_SYMBOL));
    }
    const auto entry_fn = reinterpret_cast<hubgate_plugin_entry_fn>(entry);
    const hubgate_plugin_descriptor* descriptor = nullptr;
    try {
        descriptor = entry_fn();
    } catch (...) {  // a C++ plugin that breaks the no-exceptions rule
        throw PluginError(
            fmt::format("{}: {}() threw an exception", file, HUBGATE_PLUGIN_ENTRY_SYMBOL));
    }
    library->descriptor_ = checked_copy(descriptor, file);

    const auto& d = library->descriptor_;
    library->info_.name = d.name;
    library->info_.version = d.version;
    library->info_.summary = text_or_empty(d.summary);
    library->info_.trust = text_or_empty(d.trust);
    library->info_.abi_major = d.abi_major;
    library->info_.abi_minor = d.abi_minor;
    try {
        read_declarations(d, library->info_);
    } catch (const PluginError& e) {
        throw PluginError(fmt::format("{}: {}", file, e.what()));
    }
    return library;
}

PluginLibrary::~PluginLibrary() {
    if (handle_ != nullptr) {
        dlclose(handle_);
    }
}

}  // namespace hubgate::plugins
