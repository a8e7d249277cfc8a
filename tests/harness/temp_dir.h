// A private temporary directory (mkdtemp), removed with its files on
// destruction.
#pragma once

#include <string>
#include <string_view>

namespace jinx_test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Path of `name` inside the directory (not created).
  std::string file(std::string_view name) const;
  // Writes `content` to `name` and returns its path.
  std::string write(std::string_view name, std::string_view content) const;
  // The content of `name`, or "" if it does not exist.
  std::string read(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace jinx_test
