# The sample game server image (sample-game-server), for Agones with portPolicy None: see docs/deploy.md.
#
#   docker build -t sample-game-server:0.1.0 .
#
# Stage 1 turns the project and its dependencies into wheels; stage 2 installs only those wheels on a
# clean slim Python, so the image has no compiler, no build tool, no source tree and no pip cache.
# tests/deploy/test_image.py runs these same steps outside a container and starts the ENTRYPOINT
# with the arguments of deploy/gameserver.yaml.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY sdk/ sdk/
COPY sample_server/ sample_server/
COPY loadtest/ loadtest/
# Every runtime dependency (grpcio, protobuf, uvloop, PyYAML) ships binary wheels for Linux.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The wheels are bind-mounted from the first stage, so they never become a layer of this image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl
# Not --system: 10001 lies outside the system id range, and useradd would warn about it.
RUN groupadd --gid 10001 game \
    && useradd --uid 10001 --gid game --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin game
# Bytecode was compiled by the install above; at run time site-packages is read-only to the game user.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Numeric, so that Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
# The game port (portPolicy None: players reach the Pod IP on the containerPort, no hostPort).
# TCP is served too when the server runs with --tcp (deploy/gameserver-tcpudp.yaml).
EXPOSE 7777/udp 7777/tcp
# Exec form: the server is PID 1 itself, receives SIGTERM from the kubelet and handles it (it installs
# its own handlers and starts no child processes, so it needs no init). Arguments come from the
# manifest's `args` (deploy/gameserver.yaml); there is deliberately no CMD.
ENTRYPOINT ["sample-game-server"]
