/* test_proto_json: the wasmcloud.runtime.v2 proto3 JSON codec against
 * golden JSON written by hand from the proto3 JSON mapping rules (field
 * order is field-number order, as protojson writes it). */
#include "proto_tables.h"
#include "stratus/cluster.h"
#include "unit.h"

/* 2026-11-26T16:35:58Z */
#define STARTED 1795710958

static const char *HEARTBEAT =
    "{\"id\":\"5b0c2c8e-3f4a-4d7e-9a51-2f0c1d9e8b7a\",\"hostname\":\"node-1\","
    "\"friendlyName\":\"brave-otter-42\",\"version\":\"0.2.0\","
    "\"labels\":{\"hostgroup\":\"default\",\"zone\":\"a\"},"
    "\"startedAt\":\"2026-11-26T16:35:58.250Z\",\"osArch\":\"x86_64\",\"osName\":\"linux\","
    "\"osKernel\":\"unix\",\"systemCpuUsage\":12.5,\"systemMemoryTotal\":\"8236400640\","
    "\"systemMemoryFree\":\"18446744073709551615\",\"componentCount\":\"2\","
    "\"workloadCount\":\"1\","
    "\"imports\":[{\"namespace\":\"wasi\",\"package\":\"keyvalue\",\"version\":\"0.2.0-draft\","
    "\"interfaces\":[\"store\",\"atomics\"]}],"
    "\"exports\":[{\"namespace\":\"wasi\",\"package\":\"http\",\"interfaces\":[\"incoming-handler\"],"
    "\"config\":{\"host\":\"example.com\"}}],\"httpPort\":8000}";

static const char *START =
    "{\"workload\":{\"namespace\":\"default\",\"name\":\"hello\",\"annotations\":{\"team\":\"edge\"},"
    "\"service\":{\"image\":\"ghcr.io/x/svc:1\",\"maxRestarts\":\"3\","
    "\"imagePullPolicy\":\"IMAGE_PULL_POLICY_ALWAYS\"},"
    "\"witWorld\":{\"components\":[{\"image\":\"ghcr.io/x/http:1\","
    "\"localResources\":{\"memoryLimitMb\":64,\"cpuLimit\":1,\"config\":{\"greeting\":\"hi\"},"
    "\"environment\":{\"RUST_LOG\":\"info\"},"
    "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\",\"readOnly\":true}],"
    "\"allowedHosts\":[\"example.com\"]},\"poolSize\":4,\"maxInvocations\":-1,"
    "\"imagePullSecret\":{\"username\":\"u\",\"password\":\"p\"},\"name\":\"http\","
    "\"imagePullPolicy\":\"IMAGE_PULL_POLICY_IF_NOT_PRESENT\"}],"
    "\"hostInterfaces\":[{\"namespace\":\"wasi\",\"package\":\"http\","
    "\"interfaces\":[\"incoming-handler\"],\"config\":{\"host\":\"hello.localhost\"}},"
    "{\"namespace\":\"wasi\",\"package\":\"keyvalue\",\"version\":\"0.2.0-draft\","
    "\"interfaces\":[\"store\"]}]},"
    "\"volumes\":[{\"name\":\"data\",\"hostPath\":{\"localPath\":\"/srv/data\"}},"
    "{\"name\":\"scratch\",\"emptyDir\":{}}]},\"workloadId\":\"wl-1\"}";

/* The same request as pbjson/serde might send it: snake_case keys, enums
 * by number, 64-bit integers as numbers, a timestamp-free message, extra
 * whitespace and unknown fields. */
static const char *START_SNAKE =
    "{ \"workload\": { \"namespace\": \"default\", \"name\": \"hello\","
    "  \"annotations\": {\"team\": \"edge\"}, \"future_field\": [1, 2, {\"x\": null}],"
    "  \"service\": {\"image\": \"ghcr.io/x/svc:1\", \"max_restarts\": 3, \"image_pull_policy\": 1},"
    "  \"wit_world\": {\"components\": [{\"image\": \"ghcr.io/x/http:1\","
    "    \"local_resources\": {\"memory_limit_mb\": 64, \"cpu_limit\": \"1\","
    "      \"config\": {\"greeting\": \"hi\"}, \"environment\": {\"RUST_LOG\": \"info\"},"
    "      \"volume_mounts\": [{\"name\": \"data\", \"mount_path\": \"/data\", \"read_only\": true}],"
    "      \"allowed_hosts\": [\"example.com\"]},"
    "    \"pool_size\": 4.0, \"max_invocations\": -1,"
    "    \"image_pull_secret\": {\"username\": \"u\", \"password\": \"p\"}, \"name\": \"http\","
    "    \"image_pull_policy\": \"IMAGE_PULL_POLICY_IF_NOT_PRESENT\", \"max_concurrency\": 0}],"
    "   \"host_interfaces\": [{\"namespace\": \"wasi\", \"package\": \"http\","
    "    \"interfaces\": [\"incoming-handler\"], \"config\": {\"host\": \"hello.localhost\"}},"
    "    {\"namespace\": \"wasi\", \"package\": \"keyvalue\", \"version\": \"0.2.0-draft\","
    "     \"interfaces\": [\"store\"], \"config\": {}}]},"
    "  \"volumes\": [{\"name\": \"data\", \"host_path\": {\"local_path\": \"/srv/data\"}},"
    "   {\"name\": \"scratch\", \"empty_dir\": {}, \"medium\": \"Memory\"}]},"
    "  \"workload_id\": \"wl-1\", \"trace\": true }";

static const char *STATUS_REPLY =
    "{\"workloadStatus\":{\"workloadId\":\"wl-1\",\"workloadState\":\"WORKLOAD_STATE_RUNNING\","
    "\"message\":\"Workload started successfully\"}}";

static json_t *heartbeat_value(void) {
  /* keys mixed on purpose: encode takes lowerCamelCase or snake_case */
  json_t *v = json_pack(
      "{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:I,s:[{s:s,s:s,s:s,s:[s,s]}],"
      "s:[{s:s,s:s,s:[s],s:{s:s}}],s:i,s:s}",
      "id", "5b0c2c8e-3f4a-4d7e-9a51-2f0c1d9e8b7a", "hostname", "node-1", "friendly_name",
      "brave-otter-42", "version", "0.2.0", "labels", "hostgroup", "default", "zone", "a",
      "startedAt", proto_timestamp(STARTED, 250000000), "osArch", "x86_64", "os_name", "linux",
      "osKernel", "unix", "systemCpuUsage", 12.5, "systemMemoryTotal", (json_int_t)8236400640LL,
      "system_memory_free", (json_int_t)-1 /* UINT64_MAX */, "componentCount", (json_int_t)2,
      "workloadCount", (json_int_t)1, "imports", "namespace", "wasi", "package", "keyvalue",
      "version", "0.2.0-draft", "interfaces", "store", "atomics", "exports", "namespace", "wasi",
      "package", "http", "interfaces", "incoming-handler", "config", "host", "example.com",
      "httpPort", 8000, "environment", "");
  return v;
}

/* Encodes v as m and compares with want; frees nothing. */
static void check_encode(const proto_message *m, const json_t *v, const char *want) {
  wasm_error err = {0};
  char *got = NULL;
  wasm_status st = proto_encode(m, v, &got, &err);
  CHECKM(st == WASM_OK, "encode %s: %s", m->name, err.message);
  CHECKM(got && !strcmp(got, want), "encode %s:\n got  %s\n want %s", m->name, got ? got : "(null)",
         want);
  free(got);
}

/* decode(text) then encode must give want. */
static void check_roundtrip(const proto_message *m, const char *text, const char *want) {
  wasm_error err = {0};
  json_t *v = NULL;
  wasm_status st = proto_decode(m, text, strlen(text), &v, &err);
  CHECKM(st == WASM_OK, "decode %s: %s", m->name, err.message);
  if (v) check_encode(m, v, want);
  json_decref(v);
}

/* decode must fail with a message containing want. */
static void check_decode_error(const proto_message *m, const char *text, const char *want) {
  wasm_error err = {0};
  json_t *v = NULL;
  wasm_status st = proto_decode(m, text, strlen(text), &v, &err);
  CHECKM(st == WASM_MALFORMED && v == NULL && strstr(err.message, want),
         "decode %s of %s: status %d, message \"%s\", want \"%s\"", m->name, text, st, err.message,
         want);
  json_decref(v);
}

static void test_tables(void) {
  const proto_message *hb = proto_message_find("HostHeartbeat");
  CHECK(hb == &proto_msg_HostHeartbeat);
  CHECK(proto_message_find("wasmcloud.runtime.v2.WorkloadStatus") == &proto_msg_WorkloadStatus);
  CHECK(proto_message_find("Nope") == NULL);
  const proto_field *f = proto_field_find(hb, "http_port");
  CHECK(f && f->number == 17 && f->kind == PROTO_UINT32 && !strcmp(f->json_name, "httpPort"));
  f = proto_field_find(hb, "startedAt");
  CHECK(f && f->number == 6 && f->kind == PROTO_TIMESTAMP);
  f = proto_field_find(hb, "exports");
  CHECK(f && f->number == 16 && f->repeated && f->message == &proto_msg_WitInterface);
  f = proto_field_find(&proto_msg_Component, "image_pull_policy");
  CHECK(f && f->number == 7 && f->kind == PROTO_ENUM && f->enumt == &proto_enum_ImagePullPolicy);
  f = proto_field_find(&proto_msg_Component, "poolSize");
  CHECK(f && f->number == 3 && f->kind == PROTO_SINT32);
  f = proto_field_find(&proto_msg_Service, "maxRestarts");
  CHECK(f && f->number == 3 && f->kind == PROTO_UINT64);
  f = proto_field_find(&proto_msg_Volume, "emptyDir");
  CHECK(f && f->number == 3 && f->oneof && !strcmp(f->oneof, "volume_type"));
  f = proto_field_find(&proto_msg_LocalResources, "environment");
  CHECK(f && f->number == 4 && f->kind == PROTO_MAP);
  CHECK(proto_msg_EmptyDirVolume.nfields == 0);
  CHECK(!strcmp(proto_enum_name(&proto_enum_WorkloadState, PROTO_WORKLOAD_STATE_NOT_FOUND),
                "WORKLOAD_STATE_NOT_FOUND"));
  CHECK(PROTO_WORKLOAD_STATE_COMPLETED == 3 && PROTO_IMAGE_PULL_POLICY_NEVER == 3);
  /* every field number ascends: encode writes in that order */
  for (size_t i = 0; i < proto_message_count; i++)
    for (size_t j = 1; j < proto_messages[i]->nfields; j++)
      CHECK(proto_messages[i]->fields[j - 1].number < proto_messages[i]->fields[j].number);
}

static void test_heartbeat(void) {
  json_t *v = heartbeat_value();
  CHECK(v != NULL);
  check_encode(&proto_msg_HostHeartbeat, v, HEARTBEAT);
  json_decref(v);
  check_roundtrip(&proto_msg_HostHeartbeat, HEARTBEAT, HEARTBEAT);

  /* decoded values are in the in-memory form */
  wasm_error err = {0};
  json_t *d = NULL;
  CHECK(proto_decode(&proto_msg_HostHeartbeat, HEARTBEAT, strlen(HEARTBEAT), &d, &err) == WASM_OK);
  CHECK(json_integer_value(json_object_get(d, "systemMemoryTotal")) == 8236400640LL);
  CHECK((uint64_t)json_integer_value(json_object_get(d, "systemMemoryFree")) == UINT64_MAX);
  json_t *ts = json_object_get(d, "startedAt");
  CHECK(json_integer_value(json_object_get(ts, "seconds")) == STARTED);
  CHECK(json_integer_value(json_object_get(ts, "nanos")) == 250000000);
  CHECK(json_real_value(json_object_get(d, "systemCpuUsage")) == 12.5);
  CHECK(json_object_get(d, "os_arch") == NULL && json_object_get(d, "osArch") != NULL);
  json_decref(d);

  /* a float keeps its shortest form; non-finite values are strings */
  json_t *f = json_pack("{s:f}", "systemCpuUsage", (double)0.1f);
  check_encode(&proto_msg_HostHeartbeat, f, "{\"systemCpuUsage\":0.1}");
  json_object_set_new(f, "systemCpuUsage", json_string("NaN"));
  check_encode(&proto_msg_HostHeartbeat, f, "{\"systemCpuUsage\":\"NaN\"}");
  json_object_set_new(f, "systemCpuUsage", json_string("-Infinity"));
  check_encode(&proto_msg_HostHeartbeat, f, "{\"systemCpuUsage\":\"-Infinity\"}");
  json_decref(f);
  /* negative zero is not the default and must survive a round trip */
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"systemCpuUsage\":\"-0\"}",
                  "{\"systemCpuUsage\":-0.0}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"systemCpuUsage\":-0.0}",
                  "{\"systemCpuUsage\":-0.0}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"systemCpuUsage\":\"Infinity\"}",
                  "{\"systemCpuUsage\":\"Infinity\"}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"system_cpu_usage\":\"0.25\"}",
                  "{\"systemCpuUsage\":0.25}");

  /* timestamps: offsets normalised to Z; 0, 3, 6 or 9 fraction digits */
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"started_at\":\"2026-11-26T18:35:58+02:00\"}",
                  "{\"startedAt\":\"2026-11-26T16:35:58Z\"}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"startedAt\":\"1970-01-01T00:00:00.000001Z\"}",
                  "{\"startedAt\":\"1970-01-01T00:00:00.000001Z\"}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"startedAt\":\"1969-12-31T23:59:59.5Z\"}",
                  "{\"startedAt\":\"1969-12-31T23:59:59.500Z\"}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"startedAt\":\"2000-02-29T12:00:00.123456789Z\"}",
                  "{\"startedAt\":\"2000-02-29T12:00:00.123456789Z\"}");
  check_roundtrip(&proto_msg_HostHeartbeat, "{\"startedAt\":\"0001-01-01T00:00:00Z\"}",
                  "{\"startedAt\":\"0001-01-01T00:00:00Z\"}");
  json_t *t = json_pack("{s:o}", "startedAt", proto_timestamp(0, 0));
  check_encode(&proto_msg_HostHeartbeat, t, "{\"startedAt\":\"1970-01-01T00:00:00Z\"}");
  json_decref(t);
}

static void test_workload_start(void) {
  check_roundtrip(&proto_msg_WorkloadStartRequest, START, START);
  check_roundtrip(&proto_msg_WorkloadStartRequest, START_SNAKE, START);

  wasm_error err = {0};
  json_t *d = NULL;
  CHECK(proto_decode(&proto_msg_WorkloadStartRequest, START_SNAKE, strlen(START_SNAKE), &d, &err) ==
        WASM_OK);
  json_t *w = json_object_get(d, "workload");
  CHECK(json_object_get(w, "future_field") == NULL);
  json_t *c0 = json_array_get(json_object_get(json_object_get(w, "witWorld"), "components"), 0);
  CHECK(json_integer_value(json_object_get(c0, "imagePullPolicy")) ==
        PROTO_IMAGE_PULL_POLICY_IF_NOT_PRESENT);
  CHECK(json_integer_value(json_object_get(c0, "poolSize")) == 4);
  CHECK(json_integer_value(json_object_get(c0, "maxInvocations")) == -1);
  CHECK(json_integer_value(json_object_get(json_object_get(w, "service"), "maxRestarts")) == 3);
  json_t *v1 = json_array_get(json_object_get(w, "volumes"), 1);
  CHECK(json_is_object(json_object_get(v1, "emptyDir")) && !json_object_get(v1, "hostPath"));
  json_decref(d);
}

static void test_status(void) {
  json_t *v = json_pack("{s:{s:s,s:i,s:s}}", "workloadStatus", "workloadId", "wl-1", "workloadState",
                        PROTO_WORKLOAD_STATE_RUNNING, "message", "Workload started successfully");
  check_encode(&proto_msg_WorkloadStartResponse, v, STATUS_REPLY);
  check_encode(&proto_msg_WorkloadStatusResponse, v, STATUS_REPLY);
  json_decref(v);
  check_roundtrip(&proto_msg_WorkloadStopResponse, STATUS_REPLY, STATUS_REPLY);
  /* enum given by name in memory, or an unknown number (open enum) */
  v = json_pack("{s:{s:s}}", "workloadStatus", "workloadState", "WORKLOAD_STATE_NOT_FOUND");
  check_encode(&proto_msg_WorkloadStatusResponse, v,
               "{\"workloadStatus\":{\"workloadState\":\"WORKLOAD_STATE_NOT_FOUND\"}}");
  json_decref(v);
  check_roundtrip(&proto_msg_WorkloadStatus, "{\"workload_state\":42}", "{\"workloadState\":42}");
  check_roundtrip(&proto_msg_WorkloadStatus, "{\"workloadState\":5}",
                  "{\"workloadState\":\"WORKLOAD_STATE_ERROR\"}");

  /* defaults are omitted; a present message stays, even empty */
  v = json_pack("{s:{s:s,s:i,s:s}}", "workloadStatus", "workloadId", "", "workloadState", 0,
                "message", "");
  check_encode(&proto_msg_WorkloadStatusResponse, v, "{\"workloadStatus\":{}}");
  json_decref(v);
  v = json_pack("{s:s,s:b,s:[],s:{},s:i,s:I,s:f,s:n}", "image", "", "read_only", 0, "allowedHosts",
                "config", "memoryLimitMb", 0, "maxRestarts", (json_int_t)0, "cpu", 0.0, "name");
  check_encode(&proto_msg_LocalResources, v, "{}");
  check_encode(&proto_msg_Service, v, "{}");
  check_encode(&proto_msg_VolumeMount, v, "{}");
  json_decref(v);
  check_roundtrip(&proto_msg_WorkloadStartRequest,
                  "{\"workload\":null,\"workloadId\":null,\"x\":1}", "{}");
  check_roundtrip(&proto_msg_Volume, "{\"hostPath\":{}}", "{\"hostPath\":{}}");
  check_roundtrip(&proto_msg_WorkloadStatusRequest, "{\"workload_id\":\"wl-\\u00e9\\n\\\"x\\\"\"}",
                  "{\"workloadId\":\"wl-\xc3\xa9\\n\\\"x\\\"\"}");
}

static void test_errors(void) {
  const proto_message *sr = &proto_msg_WorkloadStartRequest;
  check_decode_error(sr, "{\"workload\":{\"witWorld\":{\"components\":[{},{\"poolSize\":\"abc\"}]}}}",
                     "workload.witWorld.components[1].poolSize: expected a 32-bit integer");
  check_decode_error(sr, "{\"workload\":{\"wit_world\":{\"components\":[{\"pool_size\":1.5}]}}}",
                     "workload.witWorld.components[0].poolSize");
  check_decode_error(sr, "{\"workload\":{\"witWorld\":{\"components\":[{\"poolSize\":2147483648}]}}}",
                     "components[0].poolSize");
  check_decode_error(sr, "{\"workload\":{\"service\":{\"maxRestarts\":-1}}}",
                     "workload.service.maxRestarts: expected an unsigned 64-bit integer");
  check_decode_error(sr, "{\"workload\":{\"service\":{\"imagePullPolicy\":\"SOMETIMES\"}}}",
                     "workload.service.imagePullPolicy: unknown ImagePullPolicy value \"SOMETIMES\"");
  /* a name, not a number in a string */
  check_decode_error(&proto_msg_WorkloadStatus, "{\"workloadState\":\"5\"}",
                     "workloadState: unknown WorkloadState value \"5\"");
  check_decode_error(sr, "{\"workload\":{\"service\":{\"imagePullPolicy\":true}}}",
                     "imagePullPolicy: expected a ImagePullPolicy name or number");
  check_decode_error(sr, "{\"workload\":{\"volumes\":[{\"hostPath\":{},\"emptyDir\":{}}]}}",
                     "workload.volumes[0].emptyDir: oneof volume_type already has hostPath");
  check_decode_error(sr, "{\"workload\":{\"volumes\":{}}}", "workload.volumes: expected an array");
  check_decode_error(sr, "{\"workload\":{\"volumes\":[null]}}", "workload.volumes[0]: null");
  check_decode_error(sr, "{\"workload\":{\"annotations\":{\"a\":1}}}",
                     "workload.annotations.a: expected a string");
  check_decode_error(sr, "{\"workload\":\"x\"}", "workload: expected an object");
  check_decode_error(sr, "{\"workloadId\":7}", "workloadId: expected a string");
  check_decode_error(sr, "{\"workloadId\":\"a\",\"workload_id\":\"b\"}", "workloadId: field given twice");
  check_decode_error(sr, "[]", "(message): expected an object");
  check_decode_error(sr, "{\"workloadId\":", "bad JSON");
  check_decode_error(sr, "", "bad JSON");
  check_decode_error(&proto_msg_VolumeMount, "{\"readOnly\":\"true\"}",
                     "readOnly: expected true or false");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"startedAt\":\"2026-02-30T00:00:00Z\"}",
                     "startedAt: expected an RFC 3339 timestamp");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"startedAt\":\"2026-01-01 00:00:00Z\"}", "startedAt");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"startedAt\":\"2026-01-01T00:00:00\"}", "startedAt");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"httpPort\":-1}", "httpPort");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"httpPort\":4294967296}", "httpPort");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"systemCpuUsage\":1e39}", "systemCpuUsage");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"workloadCount\":\"12x\"}", "workloadCount");
  check_decode_error(&proto_msg_HostHeartbeat, "{\"imports\":[{\"interfaces\":[\"a\",2]}]}",
                     "imports[0].interfaces[1]: expected a string");

  /* encode rejects values of the wrong type, naming them */
  wasm_error err = {0};
  char *out = NULL;
  json_t *v = json_pack("{s:{s:[{s:{s:s}}]}}", "witWorld", "components", "localResources",
                        "memoryLimitMb", "64");
  CHECK(proto_encode(&proto_msg_Workload, v, &out, &err) == WASM_BAD_ARG && out == NULL);
  CHECKM(strstr(err.message, "witWorld.components[0].localResources.memoryLimitMb") != NULL, "%s",
         err.message);
  json_decref(v);
  v = json_pack("{s:[{s:s,s:{},s:{}}]}", "volumes", "name", "v", "hostPath", "emptyDir");
  CHECK(proto_encode(&proto_msg_Workload, v, &out, &err) == WASM_BAD_ARG && out == NULL);
  CHECKM(strstr(err.message, "volumes[0].emptyDir") != NULL, "%s", err.message);
  json_decref(v);
  v = json_pack("{s:s}", "workloadState", "WORKLOAD_STATE_BORED");
  CHECK(proto_encode(&proto_msg_WorkloadStatus, v, &out, &err) == WASM_BAD_ARG);
  json_decref(v);
  v = json_pack("{s:o}", "startedAt", proto_timestamp(253402300800LL, 0));
  CHECK(proto_encode(&proto_msg_HostHeartbeat, v, &out, &err) == WASM_BAD_ARG);
  json_decref(v);
  v = json_pack("{s:i}", "httpPort", -5);
  CHECK(proto_encode(&proto_msg_HostHeartbeat, v, &out, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "httpPort") != NULL, "%s", err.message);
  json_decref(v);
  v = json_array();
  CHECK(proto_encode(&proto_msg_HostHeartbeat, v, &out, &err) == WASM_BAD_ARG);
  json_decref(v);
}

int main(void) {
  test_tables();
  test_heartbeat();
  test_workload_start();
  test_status();
  test_errors();
  return unit_report();
}
