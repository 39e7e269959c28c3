/* test_misuse.c — every public function called with what a careless caller
 * passes (NULL handles, NULL or empty names, NULL buffers with lengths,
 * out-of-range sizes) returns an error (or, for a void or counting
 * function, does nothing) and never crashes. Each call runs in a child
 * process of its own, so one crash names itself and the others still run;
 * the case lists every call that crashed or wrongly succeeded. */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include <rill/sys/sink.h>
#include <rill/sys/source.h>
#include <rill/sys/stage.h>
#include <rill/sys/transport.h>

static int one(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)out, (void)in, (void)payload;
    return 0;
}

static int many(rill_emitter *out, const rill_record *in, size_t n, void *payload)
{
    (void)out, (void)in, (void)n, (void)payload;
    return 0;
}

static rill_pipeline *pipe_(void)
{
    rill_pipeline *p = NULL;
    if (rill_pipeline_new(&p) != 0)
        abort();
    return p;
}

static rill_batch *batch_(void)
{
    rill_batch *b = NULL;
    if (rill_batch_new(&b) != 0)
        abort();
    return b;
}

/* Each returns what the call returned: < 0 is the error expected. */
#define CASE(name, expr) static int name(void) { return (expr); }
#define VOIDCASE(name, stmt) static int name(void) { stmt; return -1; }

/* errors */
VOIDCASE(error_set_null, rill_error_set(NULL))
CASE(strerror_unknown, rill_strerror(-9999) ? -1 : 0)
/* pipeline and stages */
CASE(pipeline_new_null, rill_pipeline_new(NULL))
VOIDCASE(pipeline_free_null, rill_pipeline_free(NULL))
CASE(work_null_pipeline, rill_work(NULL, batch_()))
CASE(job_null_pipeline, rill_job(NULL, "a", NULL, one, NULL))
CASE(job_null_name, rill_job(pipe_(), NULL, NULL, one, NULL))
CASE(job_empty_name, rill_job(pipe_(), "", NULL, one, NULL))
CASE(job_null_fn, rill_job(pipe_(), "a", NULL, NULL, NULL))
CASE(task_null_name, rill_task(pipe_(), NULL, NULL, many, NULL))
CASE(task_empty_name, rill_task(pipe_(), "", NULL, many, NULL))
CASE(task_null_fn, rill_task(pipe_(), "a", NULL, NULL, NULL))
CASE(reduce_null_opts, rill_reduce(pipe_(), "r", NULL, NULL))
CASE(reduce_null_name, rill_reduce(pipe_(), NULL, NULL, NULL))
CASE(frame_null_opts, rill_frame(pipe_(), "f", NULL, NULL))
CASE(frame_end_null_name, rill_frame_end(pipe_(), NULL, NULL, NULL, NULL))
CASE(combine_null_opts, rill_combine(pipe_(), "c", NULL, NULL))
CASE(combine_empty_name, rill_combine(pipe_(), "", NULL, NULL))
CASE(result_null_pipeline, rill_result(NULL, NULL, NULL))
CASE(finish_null_pipeline, rill_finish(NULL, NULL, NULL))
CASE(on_init_null_pipeline, rill_on_init(NULL, NULL, NULL))
CASE(edge_null_names, rill_edge(pipe_(), NULL, NULL))
CASE(edge_null_pipeline, rill_edge(NULL, "a", "b"))
CASE(configure_nulls, rill_configure(pipe_(), NULL, NULL, NULL))
CASE(configure_yaml_null_pipeline, rill_configure_yaml(NULL, "a: 1", 4))
CASE(configure_yaml_null_text, rill_configure_yaml(pipe_(), NULL, 4))
CASE(configure_yaml_file_null, rill_configure_yaml_file(pipe_(), NULL))
CASE(configure_yaml_file_null_pipeline, rill_configure_yaml_file(NULL, "/nonexistent.yaml"))
CASE(context_null_emitter, rill_context(NULL, "k") ? 0 : -1)
CASE(generator_null, rill_generator(NULL, NULL, NULL))
CASE(generator_null_fn, rill_generator(pipe_(), NULL, NULL))
CASE(output_null, rill_output(NULL, NULL, NULL))
CASE(output_dir_null_opts, rill_output_dir(pipe_(), NULL))
CASE(output_dir_null_pipeline, rill_output_dir(NULL, NULL))
CASE(validate_null, rill_pipeline_validate(NULL))
CASE(run_null, rill_run(NULL, NULL, NULL))
CASE(stats_null, rill_pipeline_stats(NULL, NULL, NULL))
CASE(stats_null_pipeline, rill_pipeline_stats(NULL, NULL, "a"))
CASE(records_sent_null, rill_records_sent(NULL) == 0 ? -1 : 0)
CASE(stream_open_null, rill_stream_open(NULL, NULL, NULL))
CASE(stream_next_null, rill_stream_next(NULL, NULL, NULL))
VOIDCASE(stream_close_null, rill_stream_close(NULL))
CASE(checkpointing_null, rill_checkpointing(NULL, NULL))
CASE(checkpointing_null_opts, rill_checkpointing(pipe_(), NULL))
CASE(checkpoint_request_null, rill_checkpoint_request(NULL))
CASE(checkpoint_restored_null, rill_checkpoint_restored(NULL))
CASE(on_progress_null, rill_on_progress(NULL, 10, NULL, NULL))
CASE(on_progress_null_fn, rill_on_progress(pipe_(), 10, NULL, NULL))
/* sources */
CASE(splittable_null_opts, rill_splittable(pipe_(), "s", NULL, NULL))
CASE(splittable_null_name, rill_splittable(NULL, NULL, NULL, NULL))
CASE(read_lines_null_name, rill_read_lines(pipe_(), NULL, 0))
CASE(read_lines_empty_name, rill_read_lines(pipe_(), "", 0))
CASE(read_lines_negative_chunk, rill_read_lines(pipe_(), "l", -5))
CASE(read_records_zero_size, rill_read_records(pipe_(), "r", 0, 0))
CASE(read_records_huge_size, rill_read_records(pipe_(), "r", (size_t)-1, 0))
CASE(read_records_negative_chunk, rill_read_records(pipe_(), "r", 8, -1))
CASE(sequence_null, rill_sequence(NULL, "s", 0, 10, 0))
CASE(sequence_negative_rate, rill_sequence(pipe_(), "s", 0, 10, -1))
CASE(sequence_backwards, rill_sequence(pipe_(), "s", 10, 0, 0))
CASE(source_set_null, rill_source_set(pipe_(), NULL, NULL))
CASE(source_declare_null, rill_source_declare(NULL, NULL, NULL))
CASE(source_count_null, rill_pipeline_source_count(NULL) == 0 ? -1 : 0)
CASE(output_sink_null, rill_output_sink(pipe_(), NULL, NULL))
CASE(stage_add_null, rill_stage_add(NULL, NULL, NULL, NULL))
CASE(stage_add_null_kind, rill_stage_add(pipe_(), "k", NULL, NULL))
/* emitting */
CASE(emit_null_emitter, rill_emit(NULL, "x", 1))
CASE(emit_keyed_null_emitter, rill_emit_keyed(NULL, "k", 1, "x", 1))
CASE(emit_record_null_emitter, rill_emit_record(NULL, NULL))
CASE(emit_int64_null_emitter, rill_emit_int64(NULL, 1))
CASE(emit_double_null_emitter, rill_emit_double(NULL, 1.0))
CASE(emit_text_null_emitter, rill_emit_text(NULL, "x"))
CASE(emit_tuple_null_emitter, rill_emit_tuple(NULL, "i", (int64_t)1))
CASE(combine_sum_add_null, rill_combine_sum_int64_add(NULL, NULL, NULL))
CASE(combine_sum_merge_null, rill_combine_sum_int64_merge(NULL, NULL, NULL))
/* batches and records */
CASE(batch_new_null, rill_batch_new(NULL))
VOIDCASE(batch_free_null, rill_batch_free(NULL))
VOIDCASE(batch_clear_null, rill_batch_clear(NULL))
CASE(batch_count_null, rill_batch_count(NULL) == 0 ? -1 : 0)
CASE(batch_bytes_null, rill_batch_bytes(NULL) == 0 ? -1 : 0)
CASE(batch_get_null, rill_batch_get(NULL, NULL, 0))
CASE(batch_get_out_of_range, rill_batch_get(NULL, batch_(), 5))
CASE(batch_add_null_batch, rill_batch_add(NULL, "x", 1))
CASE(batch_add_null_data, rill_batch_add(batch_(), NULL, 5))
CASE(batch_add_huge, rill_batch_add(batch_(), "x", (size_t)-1))
CASE(batch_add_keyed_null_key, rill_batch_add_keyed(batch_(), NULL, 3, "x", 1))
CASE(batch_add_record_null, rill_batch_add_record(batch_(), NULL))
CASE(batch_add_int64_null, rill_batch_add_int64(NULL, 1))
CASE(batch_add_double_null, rill_batch_add_double(NULL, 1.0))
CASE(batch_add_text_null, rill_batch_add_text(batch_(), NULL))
CASE(batch_add_tuple_null_fmt, rill_batch_add_tuple(batch_(), NULL))
CASE(batch_add_tuple_null_batch, rill_batch_add_tuple(NULL, "i", (int64_t)1))
CASE(record_int64_null, rill_record_int64(NULL, NULL))
CASE(record_double_null, rill_record_double(NULL, NULL))
CASE(record_unpack_null, rill_record_unpack(NULL, NULL))
CASE(tuple_count_null, rill_tuple_count(NULL, 5))
CASE(partition_escape_null, rill_partition_escape(NULL, 0, NULL, 5) > 0 ? 0 : -1)
CASE(reader_open_null, rill_reader_open(NULL, NULL))
CASE(reader_open_memory_null, rill_reader_open_memory(NULL, NULL, 5))
CASE(reader_next_null, rill_reader_next(NULL, NULL))
VOIDCASE(reader_close_null, rill_reader_close(NULL))
/* trackers */
CASE(tracker_offset_null, rill_tracker_offset_new(NULL, 0, 1))
CASE(tracker_growable_null, rill_tracker_growable_new(NULL, 0, NULL, NULL))
CASE(tracker_bytekey_null, rill_tracker_bytekey_new(NULL, NULL, 3, NULL, 3))
CASE(tracker_new_null, rill_tracker_new(NULL, NULL, NULL, NULL))
VOIDCASE(tracker_free_null, rill_tracker_free(NULL))
CASE(tracker_try_claim_null, rill_tracker_try_claim(NULL, 0) > 0 ? 0 : -1)
CASE(tracker_try_claim_key_null, rill_tracker_try_claim_key(NULL, NULL, 3) > 0 ? 0 : -1)
CASE(tracker_current_null, rill_tracker_current(NULL, NULL))
CASE(tracker_try_split_null, rill_tracker_try_split(NULL, NULL, NULL, 0.5) > 0 ? 0 : -1)
CASE(tracker_check_done_null, rill_tracker_check_done(NULL))
CASE(tracker_progress_null, rill_tracker_progress(NULL, NULL, NULL))
CASE(tracker_is_bounded_null, rill_tracker_is_bounded(NULL))
/* spans and stages of outside kinds */
CASE(span_count_null, rill_span_count(NULL) == 0 ? -1 : 0)
CASE(span_stage_null, rill_span_stage(NULL, NULL) ? 0 : -1)
CASE(stage_name_null, rill_stage_name(NULL) ? 0 : -1)
CASE(stage_payload_null, rill_stage_payload(NULL) ? 0 : -1)
CASE(span_call_null, rill_span_call(NULL, NULL, NULL, NULL))

#define C(f) {#f, f}
static const struct {
    const char *name;
    int (*call)(void);
} cases[] = {
    C(error_set_null), C(strerror_unknown), C(pipeline_new_null), C(pipeline_free_null),
    C(work_null_pipeline), C(job_null_pipeline), C(job_null_name), C(job_empty_name),
    C(job_null_fn), C(task_null_name), C(task_empty_name), C(task_null_fn),
    C(reduce_null_opts), C(reduce_null_name), C(frame_null_opts), C(frame_end_null_name),
    C(combine_null_opts), C(combine_empty_name), C(result_null_pipeline),
    C(finish_null_pipeline), C(on_init_null_pipeline), C(edge_null_names),
    C(edge_null_pipeline), C(configure_nulls), C(configure_yaml_null_pipeline),
    C(configure_yaml_null_text), C(configure_yaml_file_null),
    C(configure_yaml_file_null_pipeline), C(context_null_emitter), C(generator_null),
    C(generator_null_fn), C(output_null), C(output_dir_null_opts),
    C(output_dir_null_pipeline), C(validate_null), C(run_null), C(stats_null),
    C(stats_null_pipeline), C(records_sent_null), C(stream_open_null), C(stream_next_null),
    C(stream_close_null), C(checkpointing_null), C(checkpointing_null_opts),
    C(checkpoint_request_null), C(checkpoint_restored_null), C(on_progress_null), C(on_progress_null_fn),
    C(splittable_null_opts), C(splittable_null_name), C(read_lines_null_name),
    C(read_lines_empty_name), C(read_records_zero_size),
    C(sequence_null),
    C(sequence_negative_rate), C(sequence_backwards), C(source_set_null),
    C(source_declare_null), C(source_count_null), C(output_sink_null), C(stage_add_null),
    C(stage_add_null_kind), C(emit_null_emitter),
    C(emit_keyed_null_emitter), C(emit_record_null_emitter), C(emit_int64_null_emitter),
    C(emit_double_null_emitter), C(emit_text_null_emitter), C(emit_tuple_null_emitter),
    C(combine_sum_add_null), C(combine_sum_merge_null), C(batch_new_null),
    C(batch_free_null), C(batch_clear_null), C(batch_count_null), C(batch_bytes_null),
    C(batch_get_null), C(batch_get_out_of_range), C(batch_add_null_batch),
    C(batch_add_null_data), C(batch_add_huge), C(batch_add_keyed_null_key),
    C(batch_add_record_null), C(batch_add_int64_null), C(batch_add_double_null),
    C(batch_add_text_null), C(batch_add_tuple_null_fmt), C(batch_add_tuple_null_batch),
    C(record_int64_null), C(record_double_null), C(record_unpack_null),
    C(tuple_count_null), C(partition_escape_null), C(reader_open_null),
    C(reader_open_memory_null), C(reader_next_null), C(reader_close_null),
    C(tracker_offset_null), C(tracker_growable_null), C(tracker_bytekey_null),
    C(tracker_new_null), C(tracker_free_null), C(tracker_try_claim_null),
    C(tracker_try_claim_key_null), C(tracker_current_null), C(tracker_try_split_null),
    C(tracker_check_done_null), C(tracker_progress_null), C(tracker_is_bounded_null),
    C(span_count_null), C(span_stage_null), C(stage_name_null), C(stage_payload_null),
    C(span_call_null),
};

/* Sizes out of range for the file sources: refused, not taken. */
static const struct {
    const char *name;
    int (*call)(void);
} pending[] = {
    C(read_lines_negative_chunk), C(read_records_huge_size), C(read_records_negative_chunk),
};

static size_t run_cases(const char *const *names, int (*const *calls)(void), size_t n)
{
    size_t i, bad = 0;
    for (i = 0; i < n; i++) {
        int status = 0;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* cmocka's handlers would catch the crash */
            int sig[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
            size_t k;
            for (k = 0; k < sizeof(sig) / sizeof(sig[0]); k++)
                signal(sig[k], SIG_DFL);
            _exit(calls[i]() < 0 ? 0 : 3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s: %s\n", names[i], WIFSIGNALED(status) ? "crashed" : "succeeded");
            bad++;
        }
    }
    return bad;
}

static void every_public_function_refuses_nulls_and_bad_sizes_without_crashing(void **s)
{
    const size_t n = sizeof(cases) / sizeof(cases[0]);
    const char *names[sizeof(cases) / sizeof(cases[0])];
    int (*calls[sizeof(cases) / sizeof(cases[0])])(void);
    size_t i;
    (void)s;
    for (i = 0; i < n; i++)
        names[i] = cases[i].name, calls[i] = cases[i].call;
    assert_int_equal(run_cases(names, calls, n), 0);
}

static void file_sources_refuse_sizes_out_of_range(void **s)
{
    const size_t n = sizeof(pending) / sizeof(pending[0]);
    const char *names[sizeof(pending) / sizeof(pending[0])];
    int (*calls[sizeof(pending) / sizeof(pending[0])])(void);
    size_t i;
    (void)s;
    for (i = 0; i < n; i++)
        names[i] = pending[i].name, calls[i] = pending[i].call;
    assert_int_equal(run_cases(names, calls, n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_public_function_refuses_nulls_and_bad_sizes_without_crashing),
        cmocka_unit_test(file_sources_refuse_sizes_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
