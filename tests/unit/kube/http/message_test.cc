#include "kube/http/message.h"

#include <gtest/gtest.h>

namespace kube::http {
namespace {

TEST(Headers, CaseInsensitiveLookupSetAndRemove) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("X-Multi", "1");
  h.add("x-multi", "2");
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("X-MULTI"), "1");
  EXPECT_TRUE(h.has("x-multi"));
  EXPECT_EQ(h.get("absent"), "");
  h.set("X-Multi", "3");
  EXPECT_EQ(h.get("x-multi"), "3");
  EXPECT_EQ(h.fields().size(), 2u);
  h.remove("CONTENT-TYPE");
  EXPECT_FALSE(h.has("Content-Type"));
}

TEST(Request, PathAndQueryParameters) {
  Request r;
  r.target = "/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&watch&limit=5&empty=";
  EXPECT_EQ(r.path(), "/api/v1/pods");
  EXPECT_EQ(r.query_param("labelSelector"), "app=web,tier in (a)");
  EXPECT_EQ(r.query_param("limit"), "5");
  EXPECT_TRUE(r.has_query_param("watch"));
  EXPECT_EQ(r.query_param("watch"), "");
  EXPECT_TRUE(r.has_query_param("empty"));
  EXPECT_FALSE(r.has_query_param("absent"));
  EXPECT_EQ(r.query_param("absent"), "");
  r.target = "/healthz";
  EXPECT_EQ(r.path(), "/healthz");
  EXPECT_EQ(r.query(), "");
  r.target = "/x?bad=%zz";
  EXPECT_EQ(r.query_param("bad"), "%zz");
}

TEST(Response, Constructors) {
  Response j = Response::json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.content_type, "application/json");
  Response t = Response::text(503, "draining");
  EXPECT_EQ(t.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(status_text(413), "Request Entity Too Large");
  EXPECT_EQ(status_text(431), "Request Header Fields Too Large");
  EXPECT_EQ(status_text(799), "Unknown");
}

}  // namespace
}  // namespace kube::http
