// One way to page through a ranked listing filtered on the server (ListAccounts,
// ListAtRisk): read the ranking in chunks from the offset the page token holds until a
// page's worth matched or the ranking ends; the next token is where to go on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace retention::grpc_server {

template <typename Item>
struct Page {
  std::vector<Item> items;
  std::string next_page_token;  // empty on the last page
};

// Where a page starts and how many items it holds.
struct PageStart {
  int64_t size = 0;
  int64_t offset = 0;
};

// A request's page_size and page_token checked; INVALID_ARGUMENT naming the field.
inline absl::StatusOr<PageStart> CheckPage(int32_t page_size, const std::string& page_token) {
  if (page_size < 0 || page_size > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("page_size must be 0-1000, got ", page_size));
  }
  PageStart start;
  start.size = page_size == 0 ? 100 : page_size;
  if (!page_token.empty() &&
      (page_token.size() > 20 || !absl::SimpleAtoi(page_token, &start.offset) || start.offset < 0)) {
    return absl::InvalidArgumentError("page_token is not one that this listing returned");
  }
  return start;
}

// `fetch(offset, limit)` returns the ranking's items from `offset`, at most `limit`
// (fewer at the end). INVALID_ARGUMENT naming the field for a bad size or token.
template <typename Item>
absl::StatusOr<Page<Item>> FilteredPage(
    const std::function<absl::StatusOr<std::vector<Item>>(int64_t offset, int64_t limit)>& fetch,
    const std::function<bool(const Item&)>& matches, int32_t page_size, const std::string& page_token) {
  auto start = CheckPage(page_size, page_token);
  if (!start.ok()) return start.status();
  const int64_t size = start->size;
  int64_t offset = start->offset;
  constexpr int64_t kChunk = 500;
  Page<Item> page;
  while (static_cast<int64_t>(page.items.size()) < size) {
    auto chunk = fetch(offset, kChunk);
    if (!chunk.ok()) return chunk.status();
    for (Item& item : *chunk) {
      ++offset;
      if (!matches(item)) continue;
      page.items.push_back(std::move(item));
      if (static_cast<int64_t>(page.items.size()) == size) break;
    }
    if (static_cast<int64_t>(chunk->size()) < kChunk && static_cast<int64_t>(page.items.size()) < size) return page;
  }
  page.next_page_token = absl::StrCat(offset);
  return page;
}

}  // namespace retention::grpc_server
