// FakeApiserver: a small in-process Kubernetes API server on kube::http::Server for client and
// watch tests. It keeps every write as an event with a global resourceVersion, so it can serve
// consistent paginated lists (a continue token pins the first page's snapshot), watches that
// resume exactly after a given resourceVersion, and 410 Gone for versions older than its
// compaction point, like the apiserver's watch cache. Faults are injected on demand: scripted
// responses (429 with Retry-After, 410, 500), clean ends of open watches, raw bytes (garbage,
// half lines) and ERROR events on open watches, scripted watch bodies replayed chunk by chunk.
//
// Resources are addressed as the apiserver does: /api/v1[/namespaces/<ns>]/<plural>[/<name>]
// and /apis/<group>/<version>/... . Selectors are not implemented.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/core/json.h"
#include "kube/http/server.h"

namespace berth::testing {

class FakeApiserver {
 public:
  struct RecordedRequest {
    std::string method;
    std::string target;
    kube::http::Headers headers;
    std::string body;
  };

  // Listens on 127.0.0.1; `tls` as for kube::http::Server.
  explicit FakeApiserver(std::shared_ptr<kube::http::TlsOptions> tls = nullptr);
  ~FakeApiserver();
  FakeApiserver(const FakeApiserver&) = delete;
  FakeApiserver& operator=(const FakeApiserver&) = delete;

  std::string url() const;
  std::uint16_t port() const;

  // ---- State. `collection` is a group-version path plus plural, e.g. "/api/v1/configmaps"
  // (namespace from the object's metadata). Each write is one event with the next RV.

  // Creates or replaces an object (ADDED or MODIFIED). Returns its new resourceVersion.
  std::int64_t upsert(const std::string& collection, std::string_view object_json);
  // Deletes (DELETED carrying the object's last state with the deletion's RV). Returns the RV,
  // 0 when there was no such object.
  std::int64_t erase(const std::string& collection, std::string_view namespace_,
                     std::string_view name);
  std::int64_t resource_version() const;
  // Forgets history up to the current RV: watches and continue tokens from older versions get
  // 410 Gone from now on.
  void compact();
  // The objects of a collection, "namespace/name" -> resourceVersion.
  std::map<std::string, std::int64_t> snapshot(const std::string& collection) const;

  // ---- Faults and scripted answers.

  // The next `times` requests whose method matches and whose path starts with `path_prefix`
  // (and, when `watch_only` is set, only watch requests) get `response` instead.
  void fail_next(std::string method, std::string path_prefix, kube::http::Response response,
                 int times = 1, bool watch_only = false);
  // The next watch request gets these chunks verbatim (one HTTP chunk each, in order), then the
  // terminal chunk when `finish` is set, else the stream stays open.
  void script_next_watch(std::vector<std::string> chunks, bool finish = true);
  // Ends every open watch cleanly (as the server does at timeoutSeconds).
  void end_watches();
  // Writes raw bytes to every open watch (a garbage line, half an event).
  void send_to_watches(const std::string& chunk);
  // Sends BOOKMARK (current RV) to open watches that allowed bookmarks.
  void bookmark_watches();
  // Sends the ERROR 410 event to every open watch and ends it, as when a watcher falls behind.
  void expire_watches();
  // Each event chunk is split in two at this byte offset (0 = one chunk per event, like the
  // apiserver), to exercise line reassembly.
  void split_events_at(std::size_t offset);

  // ---- Observation.
  std::vector<RecordedRequest> requests() const;
  std::size_t count(std::string_view method, std::string_view path_prefix,
                    bool watch_only = false) const;
  std::size_t open_watches() const;
  // Total event lines written to watches (scripted chunks excluded).
  std::size_t events_sent() const;

 private:
  struct Event {
    std::int64_t rv;
    std::string type;
    std::string collection;
    std::string namespace_;
    std::string name;
    std::string object;  // JSON, resourceVersion set
  };
  struct Watch {
    std::string collection;
    std::string namespace_;  // empty = all
    bool bookmarks = false;
    std::shared_ptr<kube::http::ChunkedStream> stream;
  };
  struct Failure {
    std::string method;
    std::string path_prefix;
    kube::http::Response response;
    int times;
    bool watch_only;
  };

  void handle(kube::http::Request&& request, kube::http::Responder responder);
  void handle_list(const kube::http::Request& request, const std::string& collection,
                   const std::string& ns, kube::http::Responder responder);
  void handle_watch(const kube::http::Request& request, const std::string& collection,
                    const std::string& ns, kube::http::Responder responder);
  void handle_write(const kube::http::Request& request, const std::string& collection,
                    const std::string& ns, const std::string& name,
                    kube::http::Responder responder);
  std::int64_t append_locked(const std::string& collection, std::string type, std::string ns,
                             std::string name, kube::json::Document object);
  void write_event_locked(Watch& watch, std::string_view type, std::string_view object);
  // State of a collection at `rv` (replaying events), sorted by namespace/name.
  std::map<std::string, const Event*> state_at_locked(const std::string& collection,
                                                      const std::string& ns, std::int64_t rv) const;
  void prune_watches_locked();

  mutable std::mutex mu_;
  std::deque<Event> events_;
  std::int64_t rv_ = 100;
  std::int64_t compacted_ = 0;
  std::vector<Failure> failures_;
  std::optional<std::pair<std::vector<std::string>, bool>> scripted_watch_;
  std::vector<Watch> watches_;
  std::vector<RecordedRequest> requests_;
  std::size_t split_at_ = 0;
  std::size_t events_sent_ = 0;
  std::unique_ptr<kube::http::Server> server_;
};

// A TCP relay in front of a server that can cut every connection at once, without the
// server's cooperation: what a dropped network or a restarted apiserver looks like to a client.
class FaultyProxy {
 public:
  explicit FaultyProxy(std::uint16_t target_port);
  ~FaultyProxy();
  FaultyProxy(const FaultyProxy&) = delete;
  FaultyProxy& operator=(const FaultyProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Resets every open connection (clients see a connection error mid-response).
  void cut_all();
  std::size_t connections_accepted() const;

 private:
  void accept_loop();
  void pump(int client_fd, int server_fd);

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  mutable std::mutex mu_;
  bool stopping_ = false;
  std::vector<int> open_fds_;
  std::size_t accepted_ = 0;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace berth::testing
