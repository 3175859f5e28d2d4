/* A tiny HTTPS server on src/http for quick load tests with wrk: answers
 * every request with a 1 KiB body. Built by hand, not by the Makefile:
 *   make build/libkapi.a
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o /tmp/http_echo bench/http_echo.c build/libkapi.a \
 *      -lssl -lcrypto -lsqlite3 -lyaml -lpthread -lm
 *   /tmp/http_echo CERT KEY PORT [seconds]
 *   wrk -t2 -c64 -d5s https://127.0.0.1:PORT/ */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

static char body[1024];

static void handle(void *ctx, struct kapi_http_request *req)
{
    struct kapi_http_header h[] = {{"Content-Type", "text/plain"}};
    kapi_http_respond(req, 200, h, 1, body, sizeof(body));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s CERT KEY PORT [seconds]\n", argv[0]);
        return 2;
    }
    memset(body, 'x', sizeof(body));
    struct kapi_http_config cfg = {.bind_address = "127.0.0.1", .port = atoi(argv[3]),
                                   .cert_file = argv[1], .key_file = argv[2]};
    char err[256];
    struct kapi_http_server *srv = kapi_http_server_start(&cfg, handle, NULL, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("listening on %d\n", kapi_http_server_port(srv));
    fflush(stdout);
    sleep(argc > 4 ? (unsigned)atoi(argv[4]) : 60);
    kapi_http_server_stop(srv, 1000);
    return 0;
}
