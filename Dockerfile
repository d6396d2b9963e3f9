# Backline's production image: the locked dependencies (hashes required), Backline itself as a
# wheel (not editable, no dev extras), run as a user without privileges.
#
# The default command is the Procfile's web process. The other processes run from the same image
# with another command, exactly as the Procfile says (compose.yaml does this):
#   docker run IMAGE backline db upgrade
#   docker run IMAGE backline worker voicemail email notices periodic-slow
#   docker run IMAGE backline worker periodic
# tests/deploy/test_process_files.py keeps these lines, CMD, compose.yaml and the systemd units
# equal to the Procfile. See docs/deployment.md for what CI does and does not check.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY ivr ./ivr
COPY voicemail ./voicemail
COPY forwarding ./forwarding
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/backline/venv/bin:$PATH \
    BACKLINE_INSTANCE_PATH=/var/lib/backline \
    PORT=8000

RUN useradd --system --user-group --uid 10001 --home-dir /opt/backline --no-create-home \
        --shell /usr/sbin/nologin backline \
    && mkdir -p /opt/backline /var/lib/backline \
    && chown backline:backline /var/lib/backline

RUN python -m venv /opt/backline/venv
COPY requirements.lock /opt/backline/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /opt/backline/requirements.lock
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps /tmp/wheels/backline-*.whl && rm -rf /tmp/wheels \
    && pip check

WORKDIR /opt/backline
COPY Procfile gunicorn.conf.py ./
USER backline
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"]
