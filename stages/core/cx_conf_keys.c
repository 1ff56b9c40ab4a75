/* cx_conf_keys.c - the one table of configuration keys (see cx_conf.h).
 * Add a key here and `cxflow config --template > pipeline.conf` regenerates
 * the annotated file; a test fails when the two disagree. */
#include "cx_conf.h"

#define K(name, type, def, min, max, choices, section, help) \
    {name, type, def, min, max, choices, section, help, NULL}
/* a key whose generated pipeline.conf value differs from its built-in default */
#define KS(name, type, def, shipped, min, max, choices, section, help) \
    {name, type, def, min, max, choices, section, help, shipped}

const cx_conf_key cx_conf_keys[] = {
    K("kafka.brokers", CX_CT_STR, "embedded", 0, 0, NULL, "Kafka",
      "'embedded' starts librdkafka's mock cluster on localhost; otherwise a bootstrap list host:port,..."),
    K("kafka.topic", CX_CT_STR, "feedback", 0, 0, NULL, "Kafka", "topic the ingest stage consumes"),
    K("kafka.group", CX_CT_STR, "cxflow", 0, 0, NULL, "Kafka", "consumer group id of the ingest stage"),
    K("kafka.dlq_topic", CX_CT_STR, "feedback.dlq", 0, 0, NULL, "Kafka",
      "dead-letter topic for malformed records ('' disables the topic; the file is always written)"),
    K("kafka.partitions", CX_CT_INT, "4", 1, 256, NULL, "Kafka",
      "partitions of the topics the embedded broker creates"),
    K("kafka.embedded_brokers", CX_CT_INT, "1", 1, 5, NULL, "Kafka", "number of brokers in the embedded mock cluster"),

    K("input.format", CX_CT_ENUM, "json", 0, 0, "json|text", "Input",
      "json: one JSON object per Kafka message; text: the message is the feedback text"),
    K("input.max_bytes", CX_CT_INT, "65536", 64, 16777216, NULL, "Input",
      "larger messages go to the dead letters as 'oversized'"),
    K("input.field.text", CX_CT_STR, "text", 0, 0, NULL, "Input", "JSON field holding the feedback text"),
    K("input.field.id", CX_CT_STR, "id", 0, 0, NULL, "Input", "JSON field holding the record id (default: topic/partition/offset)"),
    K("input.field.timestamp", CX_CT_STR, "timestamp", 0, 0, NULL, "Input",
      "JSON field with the time (ISO 8601 or epoch seconds/ms; default: Kafka timestamp)"),
    K("input.field.channel", CX_CT_STR, "channel", 0, 0, NULL, "Input", "JSON field: channel (chat, email, app_review, ...)"),
    K("input.field.product", CX_CT_STR, "product", 0, 0, NULL, "Input", "JSON field: product"),
    K("input.field.region", CX_CT_STR, "region", 0, 0, NULL, "Input", "JSON field: region"),
    K("input.field.lang", CX_CT_STR, "lang", 0, 0, NULL, "Input", "JSON field: language hint (ISO 639-1)"),
    K("input.field.rating", CX_CT_STR, "rating", 0, 0, NULL, "Input", "JSON field: rating on a 1-5 scale (CSAT, stars)"),
    K("input.field.nps", CX_CT_STR, "nps", 0, 0, NULL, "Input", "JSON field: NPS answer 0-10"),

    K("ingest.max_inflight", CX_CT_INT, "20000", 10, 10000000, NULL, "Ingest",
      "records sent but not yet acknowledged by the sink; above it partitions are paused"),
    K("ingest.ack_timeout_ms", CX_CT_INT, "15000", 100, 3600000, NULL, "Ingest",
      "an unacknowledged record is sent again after this long (doubling up to 8x)"),
    K("ingest.commit_interval_ms", CX_CT_INT, "1000", 100, 600000, NULL, "Ingest", "how often stored offsets are committed"),
    K("dlq.file", CX_CT_PATH, "out/dead-letters.jsonl", 0, 0, NULL, "Ingest",
      "dead-letter file: one JSON line per rejected record with reason and original bytes"),

    K("link.tokenize", CX_CT_ENDPOINT, "tcp://127.0.0.1:7301", 0, 0, NULL, "Links", "ZeroMQ endpoint the tokenize stage binds (input)"),
    K("link.tag", CX_CT_ENDPOINT, "tcp://127.0.0.1:7302", 0, 0, NULL, "Links", "ZeroMQ endpoint the tag stage binds (input)"),
    K("link.cluster", CX_CT_ENDPOINT, "tcp://127.0.0.1:7303", 0, 0, NULL, "Links", "ZeroMQ endpoint the cluster stage binds (input)"),
    K("link.sink", CX_CT_ENDPOINT, "tcp://127.0.0.1:7304", 0, 0, NULL, "Links", "ZeroMQ endpoint the sink stage binds (input)"),
    K("link.ack", CX_CT_ENDPOINT, "tcp://127.0.0.1:7300", 0, 0, NULL, "Links",
      "ZeroMQ endpoint ingest binds for the sink's acknowledgements"),
    K("link.hwm", CX_CT_INT, "2000", 10, 1000000, NULL, "Links", "high-water mark (messages) of every link"),
    K("link.max_msg_bytes", CX_CT_INT, "4194304", 1024, 268435456, NULL, "Links", "larger frames are refused (ZMQ_MAXMSGSIZE)"),
    K("link.linger_ms", CX_CT_INT, "1000", 0, 60000, NULL, "Links", "how long a closing socket tries to deliver queued messages"),

    K("lexicons.dir", CX_CT_PATH, "lexicons", 0, 0, NULL, "Analysis", "directory with the lexicons (docs/LEXICONS.md)"),
    K("tokenize.default_lang", CX_CT_STR, "und", 0, 0, NULL, "Analysis",
      "language used for stemming when neither a hint nor detection decides"),
    K("tokenize.trust_hint", CX_CT_BOOL, "true", 0, 0, NULL, "Analysis", "a language hint in the record wins over detection"),
    K("langid.min_confidence", CX_CT_DBL, "0.50", 0, 1, NULL, "Analysis",
      "below this confidence the language is 'und' (undetermined) rather than a guess"),
    K("langid.per_sentence", CX_CT_BOOL, "true", 0, 0, NULL, "Analysis",
      "also identify the language of each sentence when a record mixes languages"),
    K("pii.redact", CX_CT_BOOL, "true", 0, 0, NULL, "Analysis",
      "replace e-mails, phone numbers, card numbers and IBANs by [EMAIL] [PHONE] [CARD] [IBAN] before anything is stored"),
    K("sentiment.positive_threshold", CX_CT_DBL, "0.05", -1, 1, NULL, "Analysis", "compound score at or above this is positive"),
    K("sentiment.negative_threshold", CX_CT_DBL, "-0.05", -1, 1, NULL, "Analysis", "compound score at or below this is negative"),
    K("sentiment.learned", CX_CT_PATH, "", 0, 0, NULL, "Analysis",
      "learned sentiment lexicon: a directory written by 'cxflow train sentiment' ('' = none; docs/LEXICONS.md)"),
    K("sentiment.learned_mode", CX_CT_ENUM, "file", 0, 0, "file|with|instead", "Analysis",
      "with: learned terms plus the authored lexicon's weighted score; instead: learned terms alone; file: the mode it was trained for"),
    K("themes.user_dir", CX_CT_PATH, "", 0, 0, NULL, "Analysis",
      "your own themes: a directory with taxonomy.tsv, <lang>.tsv, names/<lang>.tsv, signals/<lang>.tsv added to (or overriding) the shipped ones ('' = none; docs/LEXICONS.md)"),
    K("themes.learned", CX_CT_PATH, "", 0, 0, NULL, "Analysis",
      "learned themes: a directory written by 'cxflow train themes'; its labels are added to the themes as learned.<label> ('' = none; docs/LEXICONS.md)"),
    K("cluster.similarity", CX_CT_DBL, "0.18", 0.01, 1, NULL, "Clustering",
      "cosine similarity a record needs to join an existing cluster"),
    K("cluster.max_clusters", CX_CT_INT, "5000", 10, 10000000, NULL, "Clustering",
      "cap on live clusters; the stalest small cluster is retired above it"),
    K("cluster.examples", CX_CT_INT, "5", 1, 50, NULL, "Clustering", "example verbatims kept per cluster"),
    K("cluster.negative_only", CX_CT_BOOL, "true", 0, 0, NULL, "Clustering", "cluster only negative records"),
    KS("cluster.checkpoint", CX_CT_PATH, "", "state/cluster-checkpoint.db", 0, 0, NULL, "Clustering",
       "checkpoint file of the cluster stage (SQLite): clusters and counts survive restarts "
       "('' = none: a restart begins with no clusters; docs/RELIABILITY.md)"),
    K("cluster.checkpoint_interval_ms", CX_CT_INT, "1000", 50, 600000, NULL, "Clustering",
      "how often the changing cluster state is checkpointed; clustered records wait for the next checkpoint "
      "before they go on to the sink"),

    K("sink.sqlite", CX_CT_PATH, "out/cxflow.db", 0, 0, NULL, "Sinks", "SQLite database ('' disables)"),
    K("sink.jsonl", CX_CT_PATH, "out/records.jsonl", 0, 0, NULL, "Sinks", "JSON-lines file of enriched records ('' disables)"),
    K("sink.batch", CX_CT_INT, "1000", 1, 100000, NULL, "Sinks", "records per SQLite transaction"),
    K("sink.flush_ms", CX_CT_INT, "200", 1, 60000, NULL, "Sinks", "a partial batch is written after this long"),
    K("report.file", CX_CT_PATH, "out/report.html", 0, 0, NULL, "Sinks", "where `cxflow report` writes the HTML report"),

    K("run.dir", CX_CT_PATH, "run", 0, 0, NULL, "Operations",
      "pid files, logs, metrics and the embedded broker's address"),
    K("metrics.interval_ms", CX_CT_INT, "1000", 100, 600000, NULL, "Operations",
      "how often each stage writes run/metrics/<stage>.prom"),
    K("log.level", CX_CT_ENUM, "info", 0, 0, "error|warn|info|debug", "Operations", "log verbosity"),
    K("supervisor.max_backoff_ms", CX_CT_INT, "10000", 100, 600000, NULL, "Operations",
      "a crashed stage is restarted after 200 ms, doubling up to this"),
    K("supervisor.grace_ms", CX_CT_INT, "10000", 100, 600000, NULL, "Operations",
      "on stop, stages get this long to drain before SIGKILL"),
};

const size_t cx_conf_nkeys = sizeof cx_conf_keys / sizeof cx_conf_keys[0];
