/// The nginx configuration `uring-bench http-run` writes for each nginx run: one worker
/// process in the foreground, every path inside the run's own directory, no access log, and
/// the benchmark's routes answered from the configuration (`return`), with no file read.
struct NginxConfiguration: Equatable, Sendable {
    /// The run's directory: the pid file, the error log and nginx's temp directories go here.
    var directory: String
    /// The port on 127.0.0.1 to listen on.
    var port: Int

    /// The error log, also given to `nginx -e` so that nginx writes nothing outside
    /// ``directory`` even before it has read the configuration.
    var errorLogPath: String { "\(directory)/error.log" }
    var path: String { "\(directory)/nginx.conf" }

    /// The arguments after the nginx executable.
    var arguments: [String] { ["-c", path, "-p", directory, "-e", errorLogPath] }

    /// The configuration file's text.
    ///
    /// nginx closes a keep-alive connection after `keepalive_requests` requests (1000 by
    /// default since 1.19.10) and after `keepalive_timeout` idle. The benchmark's keep-alive
    /// loads make hundreds of thousands of requests per connection, so both are set high
    /// enough never to cut a connection during a run: otherwise nginx would pay for, and wrk
    /// would count, a new connection every 1000 requests (and with pipelining, requests
    /// already sent on the closed connection would come back as read errors).
    func render() -> String {
        """
        # Written by uring-bench http-run for one run; nginx -c \(path) -p \(directory)
        worker_processes 1;
        daemon off;
        master_process on;
        pid \(directory)/nginx.pid;
        error_log \(errorLogPath) warn;

        events {
            worker_connections 4096;
        }

        http {
            access_log off;
            client_body_temp_path \(directory)/client_body_temp;
            proxy_temp_path \(directory)/proxy_temp;
            fastcgi_temp_path \(directory)/fastcgi_temp;
            uwsgi_temp_path \(directory)/uwsgi_temp;
            scgi_temp_path \(directory)/scgi_temp;

            # Keep-alive connections last the whole run (see NginxConfiguration.render).
            keepalive_requests 1000000;
            keepalive_timeout 300s;

            server {
                listen 127.0.0.1:\(port);

                location = /plaintext {
                    default_type text/plain;
                    return 200 "Hello, World!";
                }

                location = /json {
                    default_type application/json;
                    return 200 '{"message":"Hello, World!"}';
                }

                location / {
                    return 404;
                }
            }
        }

        """
    }
}
