#include "csv_table.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace simdnorm::bench {
namespace {

// The whole file as bytes. stdio rather than a stream, so that a directory or
// a read error reports its errno (EISDIR, EIO) as the open does.
std::string read_bytes(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             std::fclose);
  if (!file) throw csv_error(path + ": " + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  std::size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) bytes.append(buffer, got);
  if (std::ferror(file.get())) throw csv_error(path + ": " + std::strerror(errno));
  return bytes;
}

}  // namespace

std::size_t csv_table::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return npos;
}

csv_table read_csv(const std::string& path) {
  const std::string text = read_bytes(path);
  csv_table table;
  table.path = path;
  bool have_header = false;
  std::size_t i = 0, line = 1;
  while (i < text.size()) {
    const std::size_t record_line = line;
    std::vector<std::string> record;
    bool quoted = false;
    for (;;) {
      std::string cell;
      if (i < text.size() && text[i] == '"') {
        quoted = true;
        for (++i;; ++i) {
          if (i >= text.size()) {
            throw csv_error(path + ":" + std::to_string(record_line) + ": a quote is not closed");
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              cell += '"';
              ++i;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          cell += text[i];
        }
      }
      // Unquoted text, or what follows a closing quote up to the comma (as
      // Python's csv module keeps it).
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        cell += text[i++];
      }
      record.push_back(std::move(cell));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    ++line;
    if (record.size() == 1 && record[0].empty() && !quoted) continue;  // a blank line
    if (!have_header) {
      table.columns = std::move(record);
      have_header = true;
      continue;
    }
    if (record.size() != table.columns.size()) {
      throw csv_error(path + ":" + std::to_string(record_line) + ": " +
                      std::to_string(record.size()) + " cells where the header has " +
                      std::to_string(table.columns.size()));
    }
    table.rows.push_back(std::move(record));
    table.lines.push_back(record_line);
  }
  return table;
}

}  // namespace simdnorm::bench
