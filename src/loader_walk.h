// The loader's walk over a scenario document (loader.h): one Loader per
// load, shared by loader.cc (the top level and [[proxy]] tables) and
// loader_toxic.cc ([[toxic]] tables). Not for use outside them.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "scenario.h"
#include "toxic_types.h"
#include "value_reader.h"

namespace jinx {

// Walks the document: the tables, their keys and the rules between them.
class Loader : private ValueReader {
 public:
  explicit Loader(std::vector<Diagnostic>& diags) : ValueReader(diags) {}

  Scenario load(const toml::table& root);

 private:
  void load_seed(const toml::table& root, Scenario& s);
  void load_api(const toml::table& root, Scenario& s);
  // Calls each(table) for every table of the array of tables `key`.
  void each_table(const toml::table& root, std::string_view key,
                  const std::function<void(const toml::table&)>& each);
  void load_proxy(const toml::table& t, Scenario& s);
  void load_proxy_name(const toml::table& t, ProxySpec& p);
  void load_listen(const toml::table& t, ProxySpec& p);
  void load_protocol(const toml::table& t, ProxySpec& p);
  void load_udp_keys(const toml::table& t, ProxySpec& p);
  void check_protocol(const toml::table& t, const ToxicSpec& toxic, const Scenario& s);
  // The proxy a [[toxic]] names, or nullptr when it names none that exists.
  const ProxySpec* toxic_proxy(const toml::table& t, const Scenario& s);
  void load_toxic(const toml::table& t, Scenario& s, size_t order);
  const ToxicType* load_type(const toml::table& t, SourcePos pos);
  void check_toxic_keys(const toml::table& t, const ToxicType* type);
  void load_target(const toml::table& t, ToxicSpec& toxic, const Scenario& s);
  bool load_attr(const toml::table& t, const ToxicSpec& toxic, const AttrSpec& a, Param* value);
  void check_attrs(const toml::table& t, const ToxicSpec& toxic);
  void name_toxic(const toml::table& t, ToxicSpec& toxic);
  void load_schedule(const toml::table& t, ToxicSpec& toxic);
  void check_schedule(const toml::table& t, const ToxicSpec& toxic, const Scenario& s);

  // Lookups that keep large files linear.
  std::unordered_set<std::string> proxy_names_;
  std::unordered_map<std::string, std::string> proxy_envs_;  // JINX_ name -> proxy
  std::unordered_map<std::string, std::string> listens_;     // "tcp|udp host:port" -> proxy
  std::unordered_map<std::string, size_t> proxy_index_;
  std::unordered_set<std::string> toxic_names_;
  std::unordered_map<size_t, int> next_match_bit_;     // per proxy (loader_http.h)
  std::unordered_map<std::string, int> next_default_;  // "<proxy>-<type>-" -> next n
};

}  // namespace jinx
