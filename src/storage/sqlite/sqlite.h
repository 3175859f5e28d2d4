/* storage/sqlite: the embedded backend behind src/storage/storage.h. An
 * etcd-style revision log in one SQLite database (WAL mode): a committer
 * thread batches queued writes into one transaction, a syncer thread makes
 * batches of transactions durable with one fdatasync before acknowledging;
 * reads use a pool of read connections at the durable revision; a dispatcher
 * thread delivers watch events. Design: docs/internals/storage.md. */
#ifndef KAPI_STORAGE_SQLITE_H
#define KAPI_STORAGE_SQLITE_H

#include "../storage.h"

/* Opens (creating if needed) the store at path: a database file, or an
 * existing directory, in which case "kapi.db" inside it is used. A
 * "<db>.lock" file next to the database keeps a second process out. Returns
 * NULL and writes a message to err (if errlen > 0) when the directory is
 * unusable, the file is not a kapi database, or another process holds it.
 * Release with kapi_store_close. */
struct kapi_store *kapi_sqlite_open(const char *path, char *err, size_t errlen);

#endif
