{{- /*
The NGINX edge (docs/edge.md, "The edge in Kubernetes"). Its nginx.conf is rendered here from
.Values.edge and nothing else, so the file tests/e2e/edge-nginx.test.ts runs with Debian's nginx
is the file a cluster runs; only the values differ.
*/}}

{{- define "tracking.edge.name" -}}
{{- include "tracking.component.name" (dict "root" . "name" "edge") -}}
{{- end -}}

{{- /* Where the edge forwards: edge.upstream, else the gateway component's Service. */}}
{{- define "tracking.edge.upstream" -}}
{{- if .Values.edge.upstream -}}
{{- .Values.edge.upstream -}}
{{- else -}}
{{- $gateway := include "tracking.component.values" (dict "root" . "component" .Values.components.gateway) | fromYaml -}}
{{- printf "%s:%v" (include "tracking.component.name" (dict "root" . "name" "gateway")) $gateway.ports.http -}}
{{- end -}}
{{- end -}}

{{- /* The web component's values merged over the defaults, or nothing when there is no such component. */}}
{{- define "tracking.edge.webValues" -}}
{{- with index .Values.components "web" -}}
{{- include "tracking.component.values" (dict "root" $ "component" .) -}}
{{- end -}}
{{- end -}}

{{- /*
Where every path that is not the API's goes: edge.webUpstream, else the web component's Service
and HTTP port; empty when there is no enabled web component (then the gateway gets them, as
before the app existed).
*/}}
{{- define "tracking.edge.webUpstream" -}}
{{- if .Values.edge.webUpstream -}}
{{- .Values.edge.webUpstream -}}
{{- else -}}
{{- $web := include "tracking.edge.webValues" . | fromYaml -}}
{{- if and $web.enabled $web.ports.http -}}
{{- printf "%s:%v" (include "tracking.component.name" (dict "root" . "name" "web")) $web.ports.http -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The billing component's values merged over the defaults, or nothing when there is no such component. */}}
{{- define "tracking.edge.billing" -}}
{{- with index .Values.components "billing" -}}
{{- include "tracking.component.values" (dict "root" $ "component" .) -}}
{{- end -}}
{{- end -}}

{{- /*
Where Stripe's webhooks go: edge.stripeWebhook.upstream, else the billing component's Service and
webhook port; empty when the route is off (edge.stripeWebhook.enabled false, or no billing).
*/}}
{{- define "tracking.edge.webhookUpstream" -}}
{{- $w := .Values.edge.stripeWebhook -}}
{{- if $w.enabled -}}
{{- if $w.upstream -}}
{{- $w.upstream -}}
{{- else -}}
{{- $billing := include "tracking.edge.billing" . | fromYaml -}}
{{- if and $billing.enabled $billing.ports.webhook -}}
{{- printf "%s:%v" (include "tracking.component.name" (dict "root" . "name" "billing")) $billing.ports.webhook -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /*
Whether the hops behind the edge (to the gateway, the web app and billing's webhook port) are TLS
with the edge's client certificate: always, unless global.grpc.plaintextForDevelopment, which the
schema refuses in staging and production. "true" or empty.
*/}}
{{- define "tracking.edge.hopTls" -}}
{{- if not (dig "grpc" "plaintextForDevelopment" false (.Values.global | default dict)) -}}
true
{{- end -}}
{{- end -}}

{{- /*
The name the edge checks an upstream's certificate against (proxy_ssl_name): edge.upstreamTls.serverName,
else the component's Service name, one of the DNS names its certificate carries. Takes a dict: root, name.
*/}}
{{- define "tracking.edge.upstreamName" -}}
{{- $u := .root.Values.edge.upstreamTls | default dict -}}
{{- if $u.serverName -}}
{{- $u.serverName -}}
{{- else -}}
{{- include "tracking.component.name" (dict "root" .root "name" .name) -}}
{{- end -}}
{{- end -}}

{{- /*
A location's hand-over to an upstream: proxy_pass over TLS or plain HTTP, and over TLS the name its
certificate must carry. Takes a dict: root, upstream (the nginx upstream block), name (the component).
*/}}
{{- define "tracking.edge.pass" -}}
{{- if include "tracking.edge.hopTls" .root -}}
proxy_pass https://{{ .upstream }};
proxy_ssl_name {{ include "tracking.edge.upstreamName" . }};
{{- else -}}
proxy_pass http://{{ .upstream }};
{{- end -}}
{{- end -}}

{{- /*
A refusal the edge makes itself: an RFC 9457 problem in the gateway's format (services/gateway/src/http/problem.ts),
never cached, with the correlation id. Takes a dict: code, status, title, detail, hsts (the HSTS header value, or empty).
add_header in a block replaces the server's, so each refusal states every header it sends.
*/}}
{{- define "tracking.edge.problem" -}}
add_header Cache-Control no-store always;
add_header X-Correlation-Id $edge_correlation_id always;
{{- if .hsts }}
add_header Strict-Transport-Security "{{ .hsts }}" always;
{{- end }}
return {{ .status }} '{"type":"urn:tracking:problem:{{ .code }}","title":"{{ .title }}","status":{{ .status }},"code":"{{ .code }}",{{ with .detail }}"detail":"{{ . }}",{{ end }}"correlationId":"$edge_correlation_id"}';
{{- end -}}

{{- define "tracking.edge.nginxConf" -}}
{{- $e := .Values.edge -}}
{{- $hsts := printf "max-age=%v; includeSubDomains" (int64 $e.hstsMaxAge) -}}
{{- $geoBlocked := dict "code" "geo_blocked" "status" 403 "title" "Not available in your region" "detail" "this service is not available in your region" -}}
{{- $adminRefused := dict "code" "permission_denied" "status" 403 "title" "Not allowed" "detail" "the admin API is not available from this network" -}}
{{- $httpsRequired := dict "code" "https_required" "status" 403 "title" "HTTPS is required" "detail" "use HTTPS" -}}
{{- $tooLarge := dict "code" "invalid_argument" "status" 413 "title" "The request is not valid" "detail" "request body too large" -}}
{{- $badRequest := dict "code" "invalid_argument" "status" 400 "title" "The request is not valid" "detail" "malformed request" -}}
{{- $tooMany := dict "code" "resource_exhausted" "status" 429 "title" "Too many requests" "detail" "too many requests from this address" -}}
{{- $unavailable := dict "code" "unavailable" "status" 503 "title" "Service temporarily unavailable" "detail" "" -}}
{{- $webhookSource := dict "code" "permission_denied" "status" 403 "title" "Not allowed" "detail" "webhooks are not accepted from this address" -}}
{{- $webhookMethod := dict "code" "invalid_argument" "status" 405 "title" "The request is not valid" "detail" "only POST is accepted here" -}}
{{- $webhook := include "tracking.edge.webhookUpstream" . -}}
{{- $web := include "tracking.edge.webUpstream" . -}}
{{- $listen := ternary "" (printf "%s:" $e.listenAddress) (empty $e.listenAddress) -}}
{{- $w := $e.stripeWebhook -}}
{{- /* Retry-After: one request's worth of the rate, in whole seconds. */ -}}
{{- $retryAfter := 1 -}}
{{- if hasSuffix "r/m" $e.rateLimit.rate -}}
{{- $perMinute := trimSuffix "r/m" $e.rateLimit.rate | int -}}
{{- $retryAfter = div (add 59 $perMinute) $perMinute -}}
{{- end -}}
# The tracking platform's edge, rendered by the Helm chart from .Values.edge (templates/_edge.tpl).
# tests/e2e/edge-nginx.test.ts runs this file with Debian's nginx. docs/edge.md explains each part.
load_module {{ $e.geoipModule }};

daemon off;
worker_processes {{ $e.workerProcesses }};
pid {{ $e.tempDir }}/nginx.pid;
error_log stderr warn;

events {
  worker_connections 4096;
}

http {
  server_tokens off;
  # nginx serves no files (the web component does): every body it writes itself is a problem
  # document (RFC 9457).
  types {}
  default_type application/problem+json;

  # The root filesystem is read-only; these live in the pod's /tmp.
  client_body_temp_path {{ $e.tempDir }}/client_body;
  proxy_temp_path {{ $e.tempDir }}/proxy;
  fastcgi_temp_path {{ $e.tempDir }}/fastcgi;
  uwsgi_temp_path {{ $e.tempDir }}/uwsgi;
  scgi_temp_path {{ $e.tempDir }}/scgi;

  client_max_body_size {{ $e.clientMaxBodySize }};
  client_header_timeout 10s;
  client_body_timeout 30s;
  send_timeout 30s;
  keepalive_timeout 65s;

  # The client address. Only the listed load balancers may state it (X-Forwarded-For, walked from
  # the right past them, or the PROXY protocol header); otherwise the TCP peer is the client.
  {{- range $e.realIpFrom }}
  set_real_ip_from {{ . }};
  {{- end }}
  real_ip_recursive on;

  # A correlation id from one of those load balancers is kept; any other is replaced, as the
  # gateway does (it adopts ours because the edge is its trusted proxy).
  geo $realip_remote_addr $edge_from_proxy {
    default 0;
    {{- range $e.realIpFrom }}
    {{ . }} 1;
    {{- end }}
  }
  map "$edge_from_proxy:$http_x_correlation_id" $edge_correlation_id {
    "~^1:(?<inbound>[A-Za-z0-9][A-Za-z0-9._:-]{7,127})$" $inbound;
    default $request_id;
  }

  # GeoIP on the client address: the geolocated country, never the registered one. A country not
  # listed, or none (private, anycast or unknown addresses), is refused: it fails closed.
  geoip2 {{ $e.geoip.databaseFile }} {
    auto_reload {{ $e.geoip.reloadInterval }};
    $edge_geoip_unroutable source=$edge_unroutable_address country iso_code;
    $edge_geoip_country country iso_code;
  }
  # The module remembers its last lookup and, after a reload, answers that same address from the
  # old database (leev/ngx_http_geoip2_module#134). Looking up an address no client can have just
  # before each client's makes every client lookup a fresh one.
  map $server_port $edge_unroutable_address {
    default 0.0.0.0;
  }
  map "$edge_geoip_unroutable:$edge_geoip_country" $edge_country {
    "~:(?<country>[A-Z]{2})$" $country;
    default "";
  }
  map $edge_country $edge_country_allowed {
    default 0;
    {{- range $e.geoip.allowedCountries }}
    {{ . }} 1;
    {{- end }}
  }

  # The networks the admin API may be used from; none listed: from nowhere.
  geo $edge_admin_network {
    default 0;
    {{- range $e.adminAllowedCidrs }}
    {{ . }} 1;
    {{- end }}
  }

  # Over plain HTTP a browser's page request may be redirected, and only to a plain host name or
  # IP literal; everything else, the API above all, is refused (docs/edge.md, "HTTPS only").
  map "$request_method $host" $edge_redirectable {
    default 0;
    "~^(GET|HEAD) ([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$" 1;
  }

  # The per-address allowance counts an IPv6 client per /64, like the gateway's and auth's limits
  # (#20): one host has a whole /64 to rotate through. $remote_addr is nginx's canonical text
  # (lowercase, '::' for the first longest run of zeros); the regexes below spell out the /64's
  # four groups, expanding a '::' that falls inside them, so every address of one /64 gets one key.
  map $remote_addr $edge_client_key {
    default $remote_addr;
    # IPv4, and IPv4 inside IPv6 (::ffff:192.0.2.1): the whole address.
    "~\." $remote_addr;
    "~^(?<p>[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):" "$p";
    "~^(?<p>[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4})::" "$p:0";
    "~^(?<p>[0-9a-f]{1,4}:[0-9a-f]{1,4})::(?<t>[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "$p:0:$t";
    "~^(?<p>[0-9a-f]{1,4}:[0-9a-f]{1,4})::" "$p:0:0";
    "~^(?<p>[0-9a-f]{1,4})::(?<t>[0-9a-f]{1,4}:[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "$p:0:$t";
    "~^(?<p>[0-9a-f]{1,4})::(?<t>[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "$p:0:0:$t";
    "~^(?<p>[0-9a-f]{1,4})::" "$p:0:0:0";
    "~^::(?<t>[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "0:$t";
    "~^::(?<t>[0-9a-f]{1,4}:[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "0:0:$t";
    "~^::(?<t>[0-9a-f]{1,4}):[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$" "0:0:0:$t";
    "~^::" "0:0:0:0";
  }
  limit_req_zone $edge_client_key zone=edge_per_ip:10m rate={{ $e.rateLimit.rate }};
  {{- if $webhook }}
  # Stripe's webhooks have their own allowance per sending address (edge.stripeWebhook.rateLimit).
  limit_req_zone $edge_client_key zone=edge_stripe_webhook:1m rate={{ $w.rateLimit.rate }};
  {{- end }}
  limit_req_status 429;
  limit_req_log_level warn;

  # One JSON line per request: no query strings, no headers, no bodies.
  log_format edge escape=json '{"time":"$time_iso8601","event":"edge.request",'
    '"correlation_id":"$edge_correlation_id","client_ip":"$remote_addr","peer":"$realip_remote_addr",'
    '"country":"$edge_country","tls":"$ssl_protocol","method":"$request_method","path":"$uri",'
    '"status":"$status","upstream_status":"$upstream_status","duration_s":"$request_time"}';
  access_log /dev/stdout edge;

  upstream edge_gateway {
    server {{ include "tracking.edge.upstream" . }};
    keepalive 32;
  }
  {{- if $web }}

  # The web app's static files (the web component): every path that is not the API's.
  upstream edge_web {
    server {{ $web }};
    keepalive 16;
  }
  {{- end }}
  {{- if $webhook }}

  # Billing's webhook port: it serves POST /webhooks/stripe and nothing else.
  upstream edge_stripe_webhook {
    server {{ $webhook }};
    keepalive 8;
  }
  # Where Stripe's webhooks are accepted from (edge.stripeWebhook.allowFrom); none listed: anywhere.
  geo $edge_stripe_source {
    default {{ ternary 0 1 (gt (len $w.allowFrom) 0) }};
    {{- range $w.allowFrom }}
    {{ . }} 1;
    {{- end }}
  }
  {{- end }}
  {{- if include "tracking.edge.hopTls" . }}
  {{- $u := $e.upstreamTls }}

  # The hops behind the edge are TLS 1.3 (docs/edge.md, "The hops behind the edge"). The edge
  # presents its own certificate (spiffe://tracking/edge), the only one the gateway, the web app
  # and billing's webhook port serve, and verifies theirs against the platform's CA and the name
  # each location sets (proxy_ssl_name). A variable in the certificate's path makes nginx read
  # the files at each new connection, so a renewed certificate is presented without a reload;
  # a new CA needs one.
  map $server_port $edge_hop_certificate {
    default {{ $u.certFile }};
  }
  map $server_port $edge_hop_certificate_key {
    default {{ $u.keyFile }};
  }
  proxy_ssl_certificate $edge_hop_certificate;
  proxy_ssl_certificate_key $edge_hop_certificate_key;
  proxy_ssl_trusted_certificate {{ $u.caFile }};
  proxy_ssl_verify on;
  proxy_ssl_verify_depth 2;
  proxy_ssl_protocols TLSv1.3;
  proxy_ssl_session_reuse on;
  {{- end }}
  proxy_http_version 1.1;
  proxy_connect_timeout 5s;
  proxy_send_timeout 60s;
  proxy_read_timeout {{ $e.proxyReadTimeout }};
  # The edge's own HSTS and correlation id are the ones the client gets.
  proxy_hide_header Strict-Transport-Security;
  proxy_hide_header X-Correlation-Id;

  # HTTPS: TLS 1.2 and 1.3 with Mozilla's "intermediate" configuration.
  server {
    listen {{ $listen }}{{ $e.ports.https }} ssl http2{{ if $e.proxyProtocol.https }} proxy_protocol{{ end }};
    server_name _;
    real_ip_header {{ ternary "proxy_protocol" "X-Forwarded-For" $e.proxyProtocol.https }};

    ssl_certificate {{ $e.tls.certFile }};
    ssl_certificate_key {{ $e.tls.keyFile }};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_dhparam {{ $e.tls.dhParamFile }};
    ssl_session_timeout 1d;
    ssl_session_cache shared:edge_tls:10m;
    ssl_session_tickets off;

    limit_req zone=edge_per_ip burst={{ $e.rateLimit.burst }} nodelay;

    add_header Strict-Transport-Security "{{ $hsts }}" always;
    add_header X-Correlation-Id $edge_correlation_id always;

    # What the gateway believes from its trusted proxy: this client address, HTTPS, this id.
    # Anything the client sent in their place is overwritten or dropped.
    proxy_set_header Host $host;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto https;
    proxy_set_header X-Forwarded-Host "";
    proxy_set_header Forwarded "";
    proxy_set_header X-Correlation-Id $edge_correlation_id;

    # nginx's own errors as problems; `=code` is the status sent (497: plain HTTP to this port).
    error_page 400 494 =400 @bad_request;
    error_page 413 @too_large;
    error_page 429 @rate_limited;
    error_page 497 =403 @https_required;
    error_page 500 502 503 504 =503 @unavailable;

    # security.txt is for anyone, anywhere, who finds a flaw: exempt from GeoIP, like the gateway.
    location = /.well-known/security.txt {
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_gateway" "name" "gateway") | nindent 6 }}
    }

    {{- if $webhook }}

    # Stripe's webhooks, straight to billing: exempt from GeoIP, because Stripe sends from its own
    # servers worldwide and billing authenticates each one by its signature over the exact body,
    # which nginx passes on unchanged. Only POST, only this path, its own body limit and rate.
    location = /webhooks/stripe {
      if ($edge_stripe_source = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $webhookSource) | nindent 8 }}
      }
      if ($request_method != POST) {
        add_header Allow POST always;
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $webhookMethod) | nindent 8 }}
      }
      client_max_body_size {{ $w.clientMaxBodySize }};
      # The whole body in memory, never in a temporary file.
      client_body_buffer_size {{ $w.clientMaxBodySize }};
      limit_req zone=edge_stripe_webhook burst={{ $w.rateLimit.burst }} nodelay;
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_stripe_webhook" "name" "billing") | nindent 6 }}
    }
    {{- end }}

    # nginx matches locations on the decoded, normalised path, in any letter case here as the
    # gateway's routes are matched: /API/v1/%61dmin and /api/v1//admin are the admin API too.
    location ~* ^/api/v1/admin(/|$) {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $geoBlocked) | nindent 8 }}
      }
      if ($edge_admin_network = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $adminRefused) | nindent 8 }}
      }
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_gateway" "name" "gateway") | nindent 6 }}
    }

    {{- if $web }}

    # The API (any letter case, as above) goes to the gateway...
    location ~* ^/api(/|$) {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $geoBlocked) | nindent 8 }}
      }
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_gateway" "name" "gateway") | nindent 6 }}
    }

    # ...and every other path to the web app, which sets its own caching and CSP headers.
    location / {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $geoBlocked) | nindent 8 }}
      }
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_web" "name" "web") | nindent 6 }}
    }
    {{- else }}

    location / {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $geoBlocked) | nindent 8 }}
      }
      {{- include "tracking.edge.pass" (dict "root" $ "upstream" "edge_gateway" "name" "gateway") | nindent 6 }}
    }
    {{- end }}

    location @bad_request {
      {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $badRequest) | nindent 6 }}
    }
    location @too_large {
      {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $tooLarge) | nindent 6 }}
    }
    location @rate_limited {
      add_header Retry-After {{ $retryAfter }} always;
      {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $tooMany) | nindent 6 }}
    }
    location @https_required {
      {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $httpsRequired) | nindent 6 }}
    }
    location @unavailable {
      {{- include "tracking.edge.problem" (merge (dict "hsts" $hsts) $unavailable) | nindent 6 }}
    }
  }

  # Plain HTTP: nothing is served or forwarded. A browser asking for a page is redirected to
  # HTTPS; the API, and any other method, is refused (a redirect would come after the credentials
  # were already sent in the clear). No HSTS here: browsers ignore it over HTTP (RFC 6797 §8.1).
  server {
    listen {{ $listen }}{{ $e.ports.http }}{{ if $e.proxyProtocol.http }} proxy_protocol{{ end }};
    server_name _;
    real_ip_header {{ ternary "proxy_protocol" "X-Forwarded-For" $e.proxyProtocol.http }};

    limit_req zone=edge_per_ip burst={{ $e.rateLimit.burst }} nodelay;

    add_header X-Correlation-Id $edge_correlation_id always;

    error_page 400 494 =400 @bad_request;
    error_page 413 @too_large;
    error_page 429 @rate_limited;

    # RFC 9116 §3: redirected to HTTPS, from anywhere.
    location = /.well-known/security.txt {
      if ($edge_redirectable) {
        return 308 https://$host$request_uri;
      }
      {{- include "tracking.edge.problem" $httpsRequired | nindent 6 }}
    }

    location ~* ^/api(/|$) {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" $geoBlocked | nindent 8 }}
      }
      {{- include "tracking.edge.problem" $httpsRequired | nindent 6 }}
    }
    {{- if $webhook }}

    # Stripe's webhook over plain HTTP: refused from anywhere, like the API (the body is already
    # sent), and for that reason rather than for a body over the API's limit.
    location = /webhooks/stripe {
      client_max_body_size {{ $w.clientMaxBodySize }};
      {{- include "tracking.edge.problem" $httpsRequired | nindent 6 }}
    }
    {{- end }}

    location / {
      if ($edge_country_allowed = 0) {
        {{- include "tracking.edge.problem" $geoBlocked | nindent 8 }}
      }
      if ($edge_redirectable) {
        return 308 https://$host$request_uri;
      }
      {{- include "tracking.edge.problem" $httpsRequired | nindent 6 }}
    }

    location @bad_request {
      {{- include "tracking.edge.problem" $badRequest | nindent 6 }}
    }
    location @too_large {
      {{- include "tracking.edge.problem" $tooLarge | nindent 6 }}
    }
    location @rate_limited {
      add_header Retry-After {{ $retryAfter }} always;
      {{- include "tracking.edge.problem" $tooMany | nindent 6 }}
    }
  }

  # The kubelet's probes, on a port the Service does not expose. Ready means nginx is serving
  # with this configuration: it does not follow the gateway, so that while the gateway is down
  # clients get a 503 problem rather than a refused connection.
  server {
    listen {{ $listen }}{{ $e.ports.health }};
    server_name _;
    access_log off;
    default_type application/json;
    location = /healthz {
      return 200 '{"status":"ok"}';
    }
    location = /readyz {
      return 200 '{"status":"ready"}';
    }
    location / {
      return 404;
    }
  }
}
{{ end -}}
