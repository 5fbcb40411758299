{{- /*
The web app's static server (docs/edge.md, "The web app"): the nginx.conf of every component with
`staticSite` (the `web` component), rendered here from its values and nothing else, so the file
tests/e2e/edge-nginx.test.ts and the local stack (scripts/local-edge.ts) run with Debian's nginx
is the file a cluster runs. The edge sends it every path that is not the API's.

Takes a dict: root (the chart's top-level context), name (the component's key), c (its values
merged over componentDefaults).
*/}}

{{- /*
The Content-Security-Policy of every page: the gateway's (services/gateway/src/edge/defences.ts),
word for word, so the app runs under the policy the API has always sent. No inline script or
style, no eval; data: images for the TOTP enrolment QR code.
*/}}
{{- define "tracking.web.csp" -}}
default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none';upgrade-insecure-requests
{{- end -}}

{{- define "tracking.web.nginxConf" -}}
{{- $c := .c -}}
{{- $s := $c.staticSite -}}
{{- /* TLS to the edge alone, unless global.grpc.plaintextForDevelopment (as the edge's hops, _edge.tpl). */ -}}
{{- $tls := include "tracking.edge.hopTls" .root -}}
{{- $listen := ternary "" (printf "%s:" $s.listenAddress) (empty $s.listenAddress) -}}
# The web app's static server, rendered by the Helm chart from components.{{ .name }} (templates/_web.tpl).
# It serves the files Vite built (services/web/dist) and nothing else; docs/edge.md explains each part.
daemon off;
worker_processes {{ $s.workerProcesses }};
pid {{ $s.tempDir }}/nginx.pid;
error_log stderr warn;

events {
  worker_connections 1024;
}

http {
  server_tokens off;
  # The root filesystem is read-only; these live in the pod's /tmp.
  client_body_temp_path {{ $s.tempDir }}/client_body;
  proxy_temp_path {{ $s.tempDir }}/proxy;
  fastcgi_temp_path {{ $s.tempDir }}/fastcgi;
  uwsgi_temp_path {{ $s.tempDir }}/uwsgi;
  scgi_temp_path {{ $s.tempDir }}/scgi;

  # The types a Vite build emits; anything else is a download, never sniffed (nosniff below).
  types {
    text/html html;
    text/css css;
    text/javascript js mjs;
    application/json json map;
    application/manifest+json webmanifest;
    image/svg+xml svg;
    image/png png;
    image/webp webp;
    image/x-icon ico;
    font/woff2 woff2;
    text/plain txt;
  }
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/css text/javascript application/json application/manifest+json image/svg+xml text/plain;
  sendfile on;
  gzip on;
  gzip_vary on;
  gzip_min_length 1024;
  gzip_types text/css text/javascript application/json application/manifest+json image/svg+xml text/plain;

  # Requests carry no body here: only GET and HEAD are served.
  client_max_body_size 1k;
  client_header_timeout 10s;
  keepalive_timeout 65s;
  # The edge logs every request with its correlation id; here only errors and refusals.
  access_log off;
  {{- if $tls }}

  # Only the edge may fetch the app (docs/edge.md, "The hops behind the edge"): a client whose
  # certificate the platform's CA did not sign (or none, or an expired one) is refused 401, one
  # that is not the edge's 403. nginx cannot read a certificate's URI SAN, so the edge is known by
  # its subject's CN, which its Certificate sets to the same component name.
  map $ssl_client_verify $web_client_verified {
    SUCCESS 1;
    default 0;
  }
  # The subject in RFC 2253 form, most specific first: "CN=edge" (the chart's certificates) or
  # "CN=edge,O=tracking" (the local PKI's). A subject with an escaped character (a backslash) is
  # nobody, so a value such as O="x,CN=edge" cannot pose as a second attribute.
  map $ssl_client_s_dn $web_caller {
    "~\\\\" none;
    "~^CN=(?<cn>[a-z][a-z0-9-]*)(,|$)" $cn;
    default none;
  }
  map "$web_client_verified:$web_caller" $web_refused {
    "1:edge" "";
    "~^0:" client_certificate_invalid;
    default caller_not_allowed;
  }
  # The caller a refusal names: only a certificate the CA verified names anyone.
  map "$web_client_verified:$web_caller" $web_refused_caller {
    "~^1:(?<verified>.+)$" $verified;
    default none;
  }
  # A variable in a certificate's path makes nginx read it at each handshake (a map, because a
  # `set` comes too late for the handshake).
  map $server_port $web_certificate {
    default {{ $s.tls.certFile }};
  }
  map $server_port $web_certificate_key {
    default {{ $s.tls.keyFile }};
  }
  # Each refusal is one JSON line, the security event http.refused as the services log it.
  log_format web_refused escape=json '{"time":"$time_iso8601","level":"warn","service":"web",'
    '"event":"http.refused","security":true,"reason":"$web_refused","caller":"$web_refused_caller",'
    '"verify":"$ssl_client_verify","method":"$request_method","correlation_id":"$http_x_correlation_id",'
    '"peer":"$remote_addr"}';
  {{- end }}

  # Vite names every file under /assets/ by a hash of its content, so it can be cached for a year
  # and never revalidated. index.html names the current hashes: it is never stored, so a deploy
  # takes effect on the next page load. Other files (the manifest, icons) are revalidated.
  map $uri $web_cache_control {
    default "no-cache";
    "~^/assets/" "public, max-age=31536000, immutable";
    /index.html "no-store";
  }

  server {
    listen {{ $listen }}{{ $c.ports.http }}{{ if $tls }} ssl{{ end }};
    server_name _;
    root {{ $s.root }};
    {{- if $tls }}

    # The web component's own certificate, read at each handshake (the variables above), so a
    # renewal needs no reload; the CA is read at start.
    ssl_certificate $web_certificate;
    ssl_certificate_key $web_certificate_key;
    ssl_protocols TLSv1.3;
    ssl_client_certificate {{ $s.tls.caFile }};
    ssl_verify_client optional;
    ssl_verify_depth 2;
    access_log /dev/stdout web_refused if=$web_refused;
    # 495: a certificate nginx could not verify (another CA's, expired), which nginx answers before
    # the checks below run: the same 401.
    error_page 401 495 =401 @unauthenticated;
    error_page 403 @not_the_edge;
    if ($web_refused = client_certificate_invalid) {
      return 401;
    }
    if ($web_refused) {
      return 403;
    }
    location @unauthenticated {
      default_type application/problem+json;
      add_header Cache-Control no-store always;
      return 401 '{"type":"urn:tracking:problem:unauthenticated","title":"A client certificate is required","status":401,"code":"unauthenticated"}';
    }
    location @not_the_edge {
      default_type application/problem+json;
      add_header Cache-Control no-store always;
      return 403 '{"type":"urn:tracking:problem:permission_denied","title":"Not allowed","status":403,"code":"permission_denied"}';
    }
    {{- end }}
    # The image's files are root-owned and read-only; nothing outside the root is reachable.
    disable_symlinks on;
    absolute_redirect off;

    add_header Cache-Control $web_cache_control;
    add_header Content-Security-Policy "{{ include "tracking.web.csp" . }}" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy no-referrer always;
    add_header Cross-Origin-Opener-Policy same-origin always;
    add_header Cross-Origin-Resource-Policy same-origin always;

    # Static files answer any other method with 405, which says what is allowed.
    error_page 405 @not_allowed;
    location @not_allowed {
      add_header Allow "GET, HEAD" always;
      add_header Cache-Control no-store always;
      add_header X-Content-Type-Options nosniff always;
      return 405;
    }

    # A hashed asset exists or is 404: an old page asking for a file a deploy removed must not
    # get the app's HTML as its script.
    location /assets/ {
      try_files $uri =404;
    }

    # The app's routes (/today, /verify-email, /billing, ...) are the app's HTML; a missing file
    # with an extension is 404.
    location / {
      try_files $uri @app;
    }
    location @app {
      if ($uri ~ "\.[^/]*$") {
        return 404;
      }
      rewrite ^ /index.html last;
    }
  }

  # The kubelet's probes, on the ops port the edge never reaches: ready once the built app is
  # in place.
  server {
    listen {{ $listen }}{{ $c.ports.ops }};
    server_name _;
    default_type application/json;
    location = /healthz {
      return 200 '{"status":"ok"}';
    }
    location = /readyz {
      if (!-f {{ $s.root }}/index.html) {
        return 503 '{"status":"not ready","reason":"no index.html in {{ $s.root }}"}';
      }
      return 200 '{"status":"ready"}';
    }
    location / {
      return 404;
    }
  }
}
{{ end -}}
