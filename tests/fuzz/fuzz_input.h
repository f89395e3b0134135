// Reads a fuzz input as a sequence of small values: bytes, integers and length-prefixed
// strings. Past the end every read returns zero or empty, so any input is a valid one.
// tests/fuzz/make_seeds writes seeds in the same framing (FuzzOutput).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace retention::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }

  uint8_t Byte() { return empty() ? 0 : data_[pos_++]; }

  // Little-endian, `bytes` of them (at most 8).
  uint64_t Uint(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(Byte()) << (8 * i);
    return v;
  }

  // A string prefixed by its length in two bytes, clipped to what is left.
  std::string Bytes() {
    size_t n = static_cast<size_t>(Uint(2));
    if (n > size_ - pos_) n = size_ - pos_;
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

  // Everything not read yet.
  std::string Rest() {
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Writes what FuzzInput reads.
class FuzzOutput {
 public:
  FuzzOutput& Byte(uint8_t b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  FuzzOutput& Uint(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  FuzzOutput& Bytes(const std::string& s) {
    Uint(s.size() > 0xffff ? 0xffff : s.size(), 2);
    out_.append(s, 0, 0xffff);
    return *this;
  }
  FuzzOutput& Rest(const std::string& s) {
    out_ += s;
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace retention::fuzz
