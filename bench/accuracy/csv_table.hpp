// A CSV file read whole into text cells, as the benchmark front ends write it
// and as Python's csv module reads it: a header row naming the columns, then
// one row a record; cells split at commas, a cell in double quotes may hold
// commas, line breaks and "" for a quote; \n or \r\n ends a record; blank
// lines are skipped. Cells stay text: what a cell means is the reader's
// business (bench/accuracy/baseline_check.cpp).
#ifndef SIMDNORM_BENCH_ACCURACY_CSV_TABLE_HPP_
#define SIMDNORM_BENCH_ACCURACY_CSV_TABLE_HPP_

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace simdnorm::bench {

// A file that cannot be read, or does not hold what its reader needs; what()
// starts with the file's path.
struct csv_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct csv_table {
  std::string path;                            // as given to read_csv, for messages
  std::vector<std::string> columns;            // the header; empty for an empty file
  std::vector<std::vector<std::string>> rows;  // each as wide as columns
  std::vector<std::size_t> lines;              // the line each row starts on, from 1

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // The index of the column called `name`, or npos when there is none.
  std::size_t column(const std::string& name) const;
};

// Throws csv_error when the file cannot be read, a quoted cell is not closed,
// or a row has more or fewer cells than the header.
csv_table read_csv(const std::string& path);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_ACCURACY_CSV_TABLE_HPP_
