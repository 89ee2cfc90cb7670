# chatconform in a container: `check` and `grade` unchanged, with Xvfb (Tk clients), PyQt5 (offscreen),
# bubblewrap (containment) and Chromium (only for the self-test's browser check).
#   docker build -t chatconform .
#   docker run --rm --privileged -v "$PWD/submissions:/in:ro" -v "$PWD/grades:/out" chatconform grade /in -o /out
# (--privileged, or at least --cap-add SYS_ADMIN with seccomp/apparmor unconfined, lets the harness make its
# private network and bubblewrap sandboxes; without it the run says so and shares the container's network.)
FROM python:3.11-bookworm
ENV DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends xvfb xauth bubblewrap python3-tk \
 && rm -rf /var/lib/apt/lists/*
COPY . /opt/chatconform-src
RUN pip install --no-cache-dir --quiet /opt/chatconform-src && rm -rf /opt/chatconform-src
WORKDIR /work
ENTRYPOINT ["chatconform"]
CMD ["--help"]
