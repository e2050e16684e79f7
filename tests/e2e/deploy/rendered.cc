#include "tests/e2e/deploy/rendered.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "kube/api/selector.h"
#include "kube/core/strings.h"
#include "kube/core/yaml.h"

extern char** environ;

namespace berth::deploy_test {

namespace json = kube::json;

namespace {

kube::Error errno_error(std::string_view what) {
  return kube::Error::make(kube::Reason::kInternalError,
                           std::string(what) + ": " + std::strerror(errno));
}

// Closes a descriptor on every path out of run_command.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

bool read_all(int fd, std::string& out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

bool executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

kube::Result<CommandResult> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return kube::Error::make(kube::Reason::kInvalid, "run_command: no program");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  Fd out_read(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);
  // stderr goes to an unlinked temporary file: reading two pipes would need poll(), and
  // kubectl's stderr is small.
  char err_path[] = "/tmp/berth-deploy-test-XXXXXX";
  Fd err_file(::mkostemp(err_path, O_CLOEXEC));
  if (err_file.get() < 0) return errno_error("mkostemp");
  ::unlink(err_path);

  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return errno_error("posix_spawn");
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_file.get(), 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  if (rc != 0) {
    errno = rc;
    return errno_error("cannot run " + argv[0]);
  }

  CommandResult result;
  bool read_ok = read_all(out_read.get(), result.out);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error("waitpid");
  }
  if (!read_ok) return errno_error("reading the output of " + argv[0]);
  if (::lseek(err_file.get(), 0, SEEK_SET) < 0 || !read_all(err_file.get(), result.err)) {
    return errno_error("reading the errors of " + argv[0]);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<std::string> find_kubectl() {
  if (const char* configured = std::getenv("BERTH_KUBECTL"); configured && *configured) {
    return executable(configured) ? std::optional<std::string>(configured) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (std::string_view dir : kube::split(path, ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/kubectl";
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::filesystem::path deploy_dir() {
  if (const char* dir = std::getenv("BERTH_DEPLOY_DIR"); dir && *dir) return dir;
  return std::filesystem::path(BERTH_SOURCE_DIR) / "deploy";
}

kube::Result<Rendered> render(const std::string& kubectl, const std::filesystem::path& dir) {
  KUBE_ASSIGN_OR_RETURN(CommandResult run, run_command({kubectl, "kustomize", dir.string()}));
  if (run.exit_code != 0) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "kubectl kustomize " + dir.string() + " exited with " +
                                 std::to_string(run.exit_code) + ": " + run.err);
  }
  auto documents = kube::yaml::to_json_all(run.out);
  if (!documents.ok()) {
    return kube::Error::parse("kubectl kustomize " + dir.string() +
                              " printed invalid YAML: " + documents.error().message);
  }
  return Rendered{std::move(documents).value(), std::move(run.err)};
}

std::vector<const json::Value*> of_kind(const std::vector<json::Document>& objects,
                                        std::string_view kind) {
  std::vector<const json::Value*> out;
  for (const json::Document& o : objects) {
    if (o.IsObject() && json::get_string(o, "kind") == kind) out.push_back(&o);
  }
  return out;
}

const json::Value* find(const std::vector<json::Document>& objects, std::string_view kind,
                        std::string_view name, std::string_view namespace_) {
  for (const json::Value* o : of_kind(objects, kind)) {
    if (name_of(*o) == name && (namespace_.empty() || namespace_of(*o) == namespace_)) return o;
  }
  return nullptr;
}

std::string_view name_of(const json::Value& object) {
  const json::Value* name = json::find_path(object, {"metadata", "name"});
  return name ? json::as_string(*name) : std::string_view();
}

std::string_view namespace_of(const json::Value& object) {
  const json::Value* ns = json::find_path(object, {"metadata", "namespace"});
  return ns ? json::as_string(*ns) : std::string_view();
}

std::string describe(const json::Value& object) {
  std::string out(json::get_string(object, "kind", "<no kind>"));
  out += ' ';
  if (!namespace_of(object).empty()) out += std::string(namespace_of(object)) + "/";
  out += name_of(object);
  return out;
}

std::vector<std::string> strings(const json::Value* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->IsArray()) return out;
  for (const json::Value& v : array->GetArray()) {
    if (v.IsString()) out.emplace_back(json::as_string(v));
  }
  return out;
}

bool selects(const json::Value& selector, const json::Value* labels) {
  auto parsed = kube::LabelSelector::from_json(selector);
  return parsed.ok() && !parsed.value().empty() && parsed.value().matches(labels);
}

bool map_selects(const json::Value& selector, const json::Value* labels) {
  if (!selector.IsObject() || selector.MemberCount() == 0) return false;
  json::Document wrapped(rapidjson::kObjectType);
  json::set(wrapped, "matchLabels", json::Value(selector, wrapped.GetAllocator()),
            wrapped.GetAllocator());
  return selects(wrapped, labels);
}

namespace {

std::vector<std::string> command_line(const json::Value& container) {
  std::vector<std::string> all = strings(json::find(container, "command"));
  for (std::string& a : strings(json::find(container, "args")))
    all.push_back(std::move(a));
  return all;
}

}  // namespace

std::optional<std::string> flag_value(const json::Value& container, std::string_view name) {
  std::string prefix = std::string(name) + "=";
  for (const std::string& arg : command_line(container)) {
    if (arg.starts_with(prefix)) return arg.substr(prefix.size());
  }
  return std::nullopt;
}

bool has_flag(const json::Value& container, std::string_view name) {
  for (const std::string& arg : command_line(container)) {
    if (arg == name || arg.starts_with(std::string(name) + "=")) return true;
  }
  return false;
}

std::optional<MountedFile> mounted_file(const json::Value& pod_spec, const json::Value& container,
                                        std::string_view path) {
  const json::Value* mounts = json::find(container, "volumeMounts");
  const json::Value* volumes = json::find(pod_spec, "volumes");
  if (mounts == nullptr || !mounts->IsArray() || volumes == nullptr || !volumes->IsArray()) {
    return std::nullopt;
  }
  for (const json::Value& mount : mounts->GetArray()) {
    std::string dir(json::get_string(mount, "mountPath"));
    if (dir.empty() || !path.starts_with(dir + "/")) continue;
    std::string file(path.substr(dir.size() + 1));
    for (const json::Value& volume : volumes->GetArray()) {
      if (json::get_string(volume, "name") != json::get_string(mount, "name")) continue;
      // A configMap or secret volume holds one file per key, unless `items` picks the keys
      // and names their files.
      const json::Value* source = json::find(volume, "configMap");
      if (source == nullptr) source = json::find(volume, "secret");
      const json::Value* items = source ? json::find(*source, "items") : nullptr;
      if (items == nullptr || !items->IsArray()) return MountedFile{&volume, file};
      for (const json::Value& item : items->GetArray()) {
        if (json::get_string(item, "path") == file) {
          return MountedFile{&volume, std::string(json::get_string(item, "key"))};
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> resolve_port(const json::Value& container, const json::Value& port) {
  if (port.IsInt64()) return port.GetInt64();
  if (!port.IsString()) return std::nullopt;
  const json::Value* ports = json::find(container, "ports");
  if (ports == nullptr || !ports->IsArray()) return std::nullopt;
  for (const json::Value& p : ports->GetArray()) {
    if (json::get_string(p, "name") == json::as_string(port)) {
      return json::get_int(p, "containerPort", -1);
    }
  }
  return std::nullopt;
}

}  // namespace berth::deploy_test
