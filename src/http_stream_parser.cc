#include "http_stream_parser.h"

#include <cctype>

namespace jinx {

namespace {

HttpStreamParser* self_of(http_parser* p) {
  return static_cast<HttpStreamParser*>(p->data);
}

}  // namespace

HttpStreamParser::HttpStreamParser(Kind kind) {
  http_parser_init(&parser_, kind == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = on_message_begin;
  settings_.on_url = on_url;
  settings_.on_status = on_status;
  settings_.on_header_field = on_header_field;
  settings_.on_header_value = on_header_value;
  settings_.on_headers_complete = on_headers_complete;
  settings_.on_body = on_body;
  settings_.on_message_complete = on_message_complete;
}

HttpStreamParser::Step HttpStreamParser::feed(const char* data, size_t len) {
  if (!error_.empty()) return {0, Stop::invalid};
  stop_ = Stop::consumed;
  base_ = data;
  size_t used = http_parser_execute(&parser_, &settings_, data, len);
  auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) {
    // A callback paused the parser where the caller must look; `used` is
    // exactly the bytes up to there (the next feed starts after them).
    http_parser_pause(&parser_, 0);
    if (stop_ == Stop::body_limit) return {cut_, stop_};
    if (stop_ == Stop::message_done && parser_.upgrade) return {used, Stop::upgraded};
    return {used, stop_};
  }
  if (err != HPE_OK) {
    if (error_.empty()) error_ = http_errno_description(err);
    return {0, Stop::invalid};
  }
  return {used, Stop::consumed};
}

std::string_view HttpStreamParser::path() const {
  std::string_view t = target_;
  // Absolute form (a request to a proxy): the path starts after the authority.
  if (auto scheme = t.find("://"); scheme != std::string_view::npos && scheme < t.find('/')) {
    auto slash = t.find('/', scheme + 3);
    t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
  }
  return t.substr(0, t.find('?'));
}

const std::string* HttpStreamParser::header(std::string_view lower_name) const {
  for (size_t i = 0; i < header_count_; ++i) {
    if (headers_[i].first == lower_name) return &headers_[i].second;
  }
  return nullptr;
}

bool HttpStreamParser::count_header_bytes(size_t len) {
  header_bytes_ += len;
  if (header_bytes_ <= kMaxHeaderBytes) return true;
  error_ = "header block over 64KiB";
  return false;
}

void HttpStreamParser::next_header() {
  if (header_count_ == headers_.size()) headers_.emplace_back();
  headers_[header_count_].first.clear();
  headers_[header_count_].second.clear();
  ++header_count_;
}

int HttpStreamParser::on_message_begin(http_parser* p) {
  HttpStreamParser& s = *self_of(p);
  s.in_message_ = true;
  s.method_.clear();
  s.target_.clear();
  s.header_count_ = 0;
  s.in_value_ = false;
  s.header_bytes_ = 0;
  s.body_bytes_ = 0;
  s.body_limit_ = UINT64_MAX;
  return 0;
}

int HttpStreamParser::on_url(http_parser* p, const char* at, size_t len) {
  HttpStreamParser& s = *self_of(p);
  if (!s.count_header_bytes(len)) return 1;
  s.target_.append(at, len);
  return 0;
}

int HttpStreamParser::on_status(http_parser* p, const char* /*at*/, size_t len) {
  return self_of(p)->count_header_bytes(len) ? 0 : 1;
}

int HttpStreamParser::on_header_field(http_parser* p, const char* at, size_t len) {
  HttpStreamParser& s = *self_of(p);
  if (!s.count_header_bytes(len)) return 1;
  if (p->type == HTTP_RESPONSE) return 0;  // only requests are matched on headers
  if (s.header_count_ == 0 || s.in_value_) s.next_header();
  s.in_value_ = false;
  std::string& name = s.headers_[s.header_count_ - 1].first;
  for (size_t i = 0; i < len; ++i) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(at[i])));
  }
  return 0;
}

int HttpStreamParser::on_header_value(http_parser* p, const char* at, size_t len) {
  HttpStreamParser& s = *self_of(p);
  if (!s.count_header_bytes(len)) return 1;
  if (p->type == HTTP_RESPONSE) return 0;
  if (s.header_count_ == 0) s.next_header();
  s.in_value_ = true;
  s.headers_[s.header_count_ - 1].second.append(at, len);
  return 0;
}

int HttpStreamParser::on_headers_complete(http_parser* p) {
  HttpStreamParser& s = *self_of(p);
  if (p->http_major != 1) {
    s.error_ = "HTTP/" + std::to_string(p->http_major) + "." + std::to_string(p->http_minor);
    return -1;
  }
  if (p->type == HTTP_REQUEST) s.method_ = http_method_str(static_cast<http_method>(p->method));
  s.stop_ = Stop::headers_done;
  http_parser_pause(p, 1);
  if (p->type != HTTP_RESPONSE) return 0;
  // Returning 1: no body; 2: no body, and the connection leaves HTTP.
  unsigned status = p->status_code;
  if (status == 101) return 2;  // even without "Connection: upgrade"
  if (status / 100 == 1 || status == 204 || status == 304) return 1;  // whatever the headers say
  // The parser cannot know what the response answers: HEAD has no body,
  // and a 2xx to CONNECT starts a tunnel.
  if (s.answered_method_ == "HEAD") return 1;
  if (s.answered_method_ == "CONNECT" && status / 100 == 2) return 2;
  return 0;
}

int HttpStreamParser::on_body(http_parser* p, const char* at, size_t len) {
  HttpStreamParser& s = *self_of(p);
  if (s.body_bytes_ < s.body_limit_ && s.body_bytes_ + len >= s.body_limit_) {
    s.cut_ = static_cast<size_t>(at - s.base_) + static_cast<size_t>(s.body_limit_ - s.body_bytes_);
    s.stop_ = Stop::body_limit;
    http_parser_pause(p, 1);
  }
  s.body_bytes_ += len;
  return 0;
}

int HttpStreamParser::on_message_complete(http_parser* p) {
  HttpStreamParser& s = *self_of(p);
  s.in_message_ = false;
  s.stop_ = Stop::message_done;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace jinx
