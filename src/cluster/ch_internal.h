/* ch_internal.h: what the files of the cluster host (ch_*.c) share. */
#ifndef STRATUS_CH_INTERNAL_H
#define STRATUS_CH_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "stratus/cluster.h"
#include "stratus/http.h"

#define CH_START_THREADS 4   /* concurrent workload starts (pulls, compiles) */
#define CH_MAX_QUEUE 256     /* start requests waiting for a thread */
#define CH_MAX_PLUGINS 8
#define CH_ID_MAX 40         /* a UUID and its NUL */

/* WorkloadState numbers (workload.proto). */
enum {
  CH_STATE_UNSPECIFIED = 0,
  CH_STATE_STARTING = 1,
  CH_STATE_RUNNING = 2,
  CH_STATE_COMPLETED = 3,
  CH_STATE_STOPPING = 4,
  CH_STATE_ERROR = 5,
  CH_STATE_NOT_FOUND = 6,
};

/* One workload the scheduler asked for, by its workloadId. state is
 * STARTING, RUNNING, ERROR (a failed start, kept until stopped) or
 * STOPPING (a stop came while starting); COMPLETED and a failed service
 * are read from the runtime when asked. */
typedef struct ch_workload {
  struct ch_workload *next;
  char *wid;                      /* the scheduler's workloadId */
  char rt_id[HOST_RUNTIME_ID_MAX]; /* the runtime's id once started */
  int state;
  char *message;                  /* why it failed (ERROR) */
  size_t ncomponents;
  bool has_service;
  bool stop_requested;            /* the start finishes, then it stops */
} ch_workload;

/* A start waiting for a thread. */
typedef struct ch_job {
  struct ch_job *next;
  char *wid;
  char *reply;       /* reply subject, or NULL */
  json_t *workload;  /* the decoded Workload message */
} ch_job;

/* /proc/stat totals, for the CPU usage between two heartbeats. */
typedef struct ch_cpu {
  uint64_t busy, total;
} ch_cpu;

struct cluster_host {
  cluster_host_config cfg;
  FILE *log;
  char id[CH_ID_MAX];
  char friendly[64];
  char hostname[256];
  char *hostgroup;
  json_t *labels;                 /* map<string,string> value */
  int64_t started_s;
  int32_t started_ns;
  const proto_message *m_heartbeat, *m_start_req, *m_status_req, *m_stop_req, *m_status_resp;

  wasm_engine *engine;
  plugin *plugins[CH_MAX_PLUGINS];
  size_t nplugins;
  host_runtime *rt;
  http_server *srv;
  pthread_t srv_thread;
  bool srv_started;
  wasm_status srv_st;
  wasm_error srv_err;

  natsOptions *sched_opts, *data_opts;
  natsConnection *sched, *data;
  natsSubscription *sub;
  bool sub_done;                  /* its last callback has returned */
  volatile bool conns_closing;    /* closing them: no disconnect lines */
  int ncloses;                    /* closed callbacks seen (h->mu) */
  char prefix[64];                /* "runtime.host.<id>." */

  int wake[2];                    /* stop ('s') and reconnect ('h') wake run */

  pthread_mutex_t mu;             /* the table, the queue, cpu */
  pthread_cond_t cv;              /* the queue */
  ch_workload *table;
  ch_job *queue, **queue_tail;
  size_t nqueued;
  bool closing;                   /* no new jobs; threads exit when empty */
  pthread_t threads[CH_START_THREADS];
  size_t nthreads;
  ch_cpu cpu_prev;
  float cpu_usage;
  bool mu_ready;
};

/* ch_host.c */
void ch_log(cluster_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Publishes data on subject (a reply); logs a failure. */
void ch_publish(cluster_host *h, natsConnection *nc, const char *subject, const char *data);

/* ch_workloads.c: the table, the start threads and the handlers. Each
 * handler replies on reply when it is not NULL. */
wasm_status ch_workloads_start_threads(cluster_host *h, wasm_error *err);
/* Lets queued starts finish, joins the threads. */
void ch_workloads_drain(cluster_host *h);
/* Stops every workload of the table (after the drain); their count. */
size_t ch_workloads_stop_all(cluster_host *h);
/* Frees the table (the runtime's workloads are the runtime's). */
void ch_workloads_free(cluster_host *h);
void ch_handle_start(cluster_host *h, const char *reply, const char *data, size_t len);
void ch_handle_status(cluster_host *h, const char *reply, const char *data, size_t len);
void ch_handle_stop(cluster_host *h, const char *reply, const char *data, size_t len);
/* An ERROR status reply for wid (may be NULL) with message. */
void ch_reply_status(cluster_host *h, const char *reply, const char *wid, int state,
                     const char *message);
/* Workloads tracked, and the components of the RUNNING ones. */
void ch_workloads_count(cluster_host *h, uint64_t *workloads, uint64_t *components);

/* ch_info.c: identity and the heartbeat. */
void ch_uuid4(char out[CH_ID_MAX]);
void ch_friendly_name(char *out, size_t n);
/* The HostHeartbeat as canonical JSON (malloc'ed), or NULL (logged). */
char *ch_heartbeat_json(cluster_host *h);

#endif
