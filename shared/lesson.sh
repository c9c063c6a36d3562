#!/bin/sh
{%- set go = template_name == "go-gin" %}
# The lesson's runner (WORKSHOP.md): builds each step of the ladder in order, from Dockerfile.naive through
# lesson/N-*.Dockerfile to the real Dockerfile, and prints one table row per step as it goes. `make lesson`
# runs it; its arguments are the build options every step gets (base images, stamps, BUILD_ARGS).
#
#   STEP=N       build step N alone (its size change is from step N-1's image, when that one was built)
{%- if go %}
#   UPX=1        add the optional last step, lesson/upx.Dockerfile, and a table of what upx costs
{%- endif %}
#   DOCKER, IMAGE (the real Dockerfile's tag), LESSON_IMAGE (the other steps' tags: LESSON_IMAGE:N), PORT
#
# Build is a build without the layer cache (--no-cache; BuildKit's cache mounts survive it, as they do on a
# developer's machine). Rebuild is the build after a one-line change to {% if go %}main.go{% else %}app.py{% endif %}: the script appends a comment,
# builds with the cache, and puts the file back (also when interrupted), then builds once more so that the
# step's tag holds the unchanged code. Sizes are the engine's, in megabytes (10^6 bytes).
set -eu

DOCKER="${DOCKER:-docker}"
IMAGE="${IMAGE:-{{ cookiecutter.project_slug }}:dev}"
LESSON_IMAGE="${LESSON_IMAGE:-{{ cookiecutter.project_slug }}-lesson}"
PORT="${PORT:-{{ cookiecutter.port }}}"
STEP="${STEP:-}"
{%- if go %}
UPX="${UPX:-}"
UPX_DOCKERFILE=lesson/upx.Dockerfile
{%- endif %}
CODE_FILE={% if go %}main.go{% else %}app.py{% endif %}
ONE_LINE_CHANGE='{% if go %}//{% else %}#{% endif %} lesson: a one-line change'

work="$(mktemp -d "${TMPDIR:-/tmp}/lesson.XXXXXX")"
cp "$CODE_FILE" "$work/code"
restore_code() { cat "$work/code" > "$CODE_FILE"; }
trap 'restore_code; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; } # BSD date has no %N: awk then reads whole seconds
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }
megabytes() { awk -v bytes="$1" 'BEGIN { printf "%.1f", bytes / 1e6 }'; }
size_of() { "$DOCKER" image inspect --format '{% raw %}{{.Size}}{% endraw %}' "$1"; }
has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The ladder, one Dockerfile per line, in order{% if go %} (the upx step when it is asked for){% endif %}
required_steps() {
    echo Dockerfile.naive
    for step in lesson/[0-9]-*.Dockerfile; do
        if [ -e "$step" ]; then echo "$step"; fi
    done
    echo Dockerfile
}
{%- if go %}
upx_step=$(($(required_steps | wc -l) + 1))
with_upx=
if [ "$UPX" = 1 ] || [ "$STEP" = "$upx_step" ]; then with_upx=1; fi
ladder() {
    required_steps
    if [ -n "$with_upx" ]; then echo "$UPX_DOCKERFILE"; fi
}
{%- else %}
ladder() { required_steps; }
{%- endif %}
last_step={% if go %}"$upx_step"{% else %}"$(ladder | wc -l | tr -d ' ')"{% endif %}
refuse_step() {
    echo "lesson: STEP is '$STEP'; accepted: a step number from 1 to $last_step{% if go %} ($last_step is upx){% endif %}" >&2
    exit 2
}
case "$STEP" in
    '') ;;
    *[!0-9]* | 0*) refuse_step ;;
    *) if [ "$STEP" -gt "$last_step" ]; then refuse_step; fi ;;
esac

tag_of() { # STEP FILE
    if [ "$2" = Dockerfile ]; then echo "$IMAGE"; else echo "$LESSON_IMAGE:$1"; fi
}

# FILE TAG CACHE(cache|no-cache) OPTIONS..., with the step's own $extra options: stops the lesson with the
# build's log when it fails
build() {
    file="$1" tag="$2" cache="$3"
    shift 3
    log="$work/build.log"
    if [ "$cache" = no-cache ]; then set -- --no-cache "$@"; fi
    # $extra is one option and its value, or nothing: split on purpose
    # shellcheck disable=SC2086
    if ! "$DOCKER" build $extra "$@" --file "$file" --tag "$tag" . >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "lesson: $file did not build (the end of its log is above)" >&2
        exit 1
    fi
}

has_shell() { # TAG: yes, no (the engine found no sh: exit 127), or ? when the container did not start at all
    status=0
    "$DOCKER" run --rm --entrypoint sh "$1" -c true >"$work/shell.log" 2>&1 || status=$?
    case "$status" in
        0) echo yes ;;
        127) echo no ;;
        *)
            echo "lesson: $1 did not start to look for a shell ($status): $(tail -n 1 "$work/shell.log")" >&2
            echo "?"
            ;;
    esac
}

runs_as_root() { # TAG: the user the image starts as, from its configuration (empty means root)
    case "$("$DOCKER" image inspect --format '{% raw %}{{.Config.User}}{% endraw %}' "$1")" in
        '' | 0 | 0:* | root | root:*) echo yes ;;
        *) echo no ;;
    esac
}

echo "| Step | Dockerfile | What changed | Size (MB) | Change (MB) | Build (s) | Rebuild (s) | Shell | Root |"
echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
number=0
previous_bytes=
for file in $(ladder); do
    number=$((number + 1))
    tag="$(tag_of "$number" "$file")"
    if [ -n "$STEP" ] && [ "$STEP" != "$number" ]; then
        if [ "$((number + 1))" = "$STEP" ] && has_image "$tag"; then previous_bytes="$(size_of "$tag")"; fi
        continue
    fi
    extra=
{%- if go %}
    if [ "$file" = "$UPX_DOCKERFILE" ]; then
        has_image "$IMAGE" || { echo "lesson: step $number packs $IMAGE: build it first (make image)" >&2; exit 1; }
        extra="--build-arg FINAL_IMAGE=$IMAGE"
    fi
{%- endif %}
    echo "lesson: step $number, $file" >&2
    started="$(now)"
    build "$file" "$tag" no-cache "$@"
    build_seconds="$(seconds_since "$started")"
    echo "$ONE_LINE_CHANGE" >>"$CODE_FILE"
    started="$(now)"
    build "$file" "$tag" cache "$@"
    rebuild_seconds="$(seconds_since "$started")"
    restore_code
    build "$file" "$tag" cache "$@"
    bytes="$(size_of "$tag")"
    change=
    if [ -n "$previous_bytes" ]; then
        change="$(awk -v now="$bytes" -v before="$previous_bytes" 'BEGIN { printf "%+.1f", (now - before) / 1e6 }')"
    fi
    what="$(sed -n 's/^# Lesson step: //p' "$file" | head -n 1)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$number" "$file" "$what" "$(megabytes "$bytes")" \
        "$change" "$build_seconds" "$rebuild_seconds" "$(has_shell "$tag")" "$(runs_as_root "$tag")"
    previous_bytes="$bytes"
done
{%- if go %}

# What upx costs: the final image against its packed copy, each started three times (medians)
median() { sort -n | awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }'; }
milliseconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.0f\n", (end - start) * 1000 }'; }
mebibytes() { # docker stats' memory figure (such as 2.2MiB or 900KiB) in MiB
    awk '{ value = $1 + 0; unit = $1; sub(/^[0-9.]+/, "", unit)
           if (unit ~ /^k|^K/) value /= 1024; else if (unit ~ /^G/) value *= 1024; else if (unit ~ /^B/) value /= 1048576
           printf "%.1f\n", value }'
}

measure_running() { # TAG: prints "start_ms memory_mib probe_ms", each the median of three starts
    : >"$work/start" && : >"$work/memory" && : >"$work/probe"
    entrypoint="$("$DOCKER" image inspect --format '{% raw %}{{index .Config.Entrypoint 0}}{% endraw %}' "$1")"
    for _ in 1 2 3; do
        started="$(now)"
        container="$("$DOCKER" run -d --read-only --publish "127.0.0.1::$PORT" "$1")"
        host_port="$("$DOCKER" port "$container" "$PORT/tcp" | head -n 1 | sed 's/.*://')"
        tries=0
        until curl -fsS -o /dev/null "http://127.0.0.1:$host_port/healthz" 2>/dev/null; do
            tries=$((tries + 1))
            if [ "$tries" -gt 400 ]; then echo "lesson: $1 did not answer within 20 s" >&2; exit 1; fi
            sleep 0.05
        done
        milliseconds_since "$started" >>"$work/start"
        "$DOCKER" stats --no-stream --format '{% raw %}{{.MemUsage}}{% endraw %}' "$container" | mebibytes >>"$work/memory"
        started="$(now)"
        "$DOCKER" exec "$container" "$entrypoint" healthcheck >/dev/null
        milliseconds_since "$started" >>"$work/probe"
        "$DOCKER" rm -f "$container" >/dev/null
    done
    echo "$(median <"$work/start") $(median <"$work/memory") $(median <"$work/probe")"
}

trade_off_row() { # NAME TAG
    download="$("$DOCKER" save "$2" | gzip -c | wc -c)"
    measured="$(measure_running "$2")" || exit 1
    # shellcheck disable=SC2086 # three numbers, split on purpose
    set -- "$1" "$2" $measured
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(megabytes "$(size_of "$2")")" "$(megabytes "$download")" "$4" "$3" "$5"
}

if [ -n "$with_upx" ] && { [ -z "$STEP" ] || [ "$STEP" = "$upx_step" ]; }; then
    command -v curl >/dev/null || { echo "lesson: the upx comparison needs curl" >&2; exit 1; }
    echo
    echo "What upx costs (medians of three starts; the probe is the image's own health check, run by docker exec):"
    echo
    echo "| Image | Size (MB) | Download, gzip (MB) | Idle memory (MiB) | Start to first answer (ms) | Health probe (ms) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    trade_off_row "Dockerfile" "$IMAGE"
    trade_off_row "upx ($UPX_DOCKERFILE)" "$LESSON_IMAGE:$upx_step"
fi
{%- endif %}
