#pragma once
// Crash-safe file updates: write a temporary, fsync it, rename it over the
// target and fsync the directory, so a killed job leaves either the old or the
// new content, never a torn file.
#include <string>

namespace scorch {

// fsync of a file (UserError naming it on failure).
void sync_to_disk(const std::string& path);
// fsync of the directory holding `path`, which makes a rename durable.
void sync_directory_of(const std::string& path);
// Syncs a complete temporary, renames it over `path` and syncs the directory.
void rename_durably(const std::string& temporary, const std::string& path);
// Replaces `path` with `text` atomically as above.
void write_text_file_atomically(const std::string& path, const std::string& text);

}  // namespace scorch
