#include "loader_http.h"

#include <cctype>

namespace jinx {

namespace {

// An HTTP token (RFC 9110): what a header name may be made of.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c) == 0 &&
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `header = { NAME = "VALUE" }` as (name, value) pairs; false when invalid.
bool read_header_table(ValueReader& r, const toml::node& n, std::string_view what,
                       std::vector<std::pair<std::string, std::string>>* out) {
  const toml::table* table = n.as_table();
  if (table == nullptr) {
    r.error(n, std::string(what) + " must be a table of strings: { \"x-name\" = \"value\" }");
    return false;
  }
  bool ok = true;
  for (const auto& [key, value] : *table) {
    std::string_view name = key.str();
    if (!is_token(name)) {
      r.error(value, std::string(what) + ": '" + clip(name) + "' is not a header name");
      ok = false;
    } else if (!value.is_string() || has_line_break(value.as_string()->get())) {
      r.error(value, std::string(what) + ": the value of '" + clip(name) +
                         "' must be a string on one line");
      ok = false;
    } else {
      out->emplace_back(std::string(name), value.as_string()->get());
    }
  }
  return ok;
}

void load_match(ValueReader& r, const toml::node& n, ToxicSpec& toxic) {
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    r.error(n, "match must be a table: { method = \"POST\", path = \"/api/*\" }");
    return;
  }
  r.check_keys(*t, {"method", "path", "header"}, "match");
  HttpMatch m;
  if (auto method = r.get_string(*t, "method", "match")) {
    if (!is_token(*method))
      r.error(*t->get("method"), "match: '" + clip(*method) + "' is no method");
    m.method = *method;
  }
  if (auto path = r.get_string(*t, "path", "match")) m.path = *path;
  if (const toml::node* h = t->get("header")) {
    read_header_table(r, *h, "match.header", &m.headers);
    for (auto& [name, value] : m.headers) name = lower(name);
  }
  toxic.match = std::move(m);
}

}  // namespace

void load_request_keys(ValueReader& r, const toml::table& t, ToxicSpec& toxic,
                       const ProxySpec* proxy, int* next_bit) {
  // A type of another protocol was reported by the loader (check_protocol).
  // Keys that do not apply to the type were reported with the other keys.
  if (toxic.type == nullptr) return;
  if (toxic.type->kind != ToxicKind::request && toxic.type->kind != ToxicKind::stage) return;
  const toml::node* keyed = nullptr;
  for (const char* key : {"match", "first", "nth"}) {
    if (keyed == nullptr) keyed = t.get(key);
  }
  if (keyed == nullptr) return;
  if (toxic.type->kind == ToxicKind::stage) {
    if (proxy == nullptr) return;  // no such proxy: reported
    if (proxy->protocol != ProxyProtocol::http) {
      r.error(*keyed, "match, first and nth pick HTTP requests: proxy '" + proxy->name +
                          "' needs protocol = \"http\"");
      return;
    }
    if (*next_bit >= kMaxMatchBits) {
      r.error(*keyed, "proxy '" + proxy->name + "' has more than " + std::to_string(kMaxMatchBits) +
                          " byte-level toxics with match, first or nth");
      return;
    }
    toxic.match_bit = (*next_bit)++;
  }
  if (const toml::node* n = t.get("match")) load_match(r, *n, toxic);
  if (const toml::node* n = t.get("first")) {
    toxic.first = r.to_count(*n, "first", "requests").value_or(0);
  }
  if (const toml::node* n = t.get("nth")) {
    toxic.nth = r.to_count(*n, "nth", "requests").value_or(0);
  }
  if (t.get("first") != nullptr && t.get("nth") != nullptr) {
    r.error(*t.get("nth"), "a toxic takes 'first' or 'nth', not both");
  }
}

bool load_text_attr(ValueReader& r, const toml::table& t, const ToxicSpec& toxic, const AttrSpec& a,
                    std::string* text) {
  const toml::node* n = t.get(a.name);
  if (n == nullptr) {
    if (!a.required) return true;
    r.error(toxic.pos, "toxic type '" + std::string(toxic.type->name) + "' needs '" +
                           std::string(a.name) + "' (" + std::string(a.description) + ")");
    return false;
  }
  constexpr size_t kMaxText = 64 * 1024;
  if (a.unit == Unit::text) {
    if (!n->is_string()) {
      r.error(*n, std::string(a.name) + " must be a string");
      return false;
    }
    *text = n->as_string()->get();
    if (text->size() > kMaxText) {
      r.error(*n, std::string(a.name) + " must be at most 64KiB");
      return false;
    }
    return true;
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if (!read_header_table(r, *n, a.name, &headers)) return false;
  for (const auto& [name, value] : headers) *text += name + ": " + value + "\r\n";
  return true;
}

}  // namespace jinx
