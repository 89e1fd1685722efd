# The citystats image: Airflow's official image with the project's locked dependencies and
# the project itself. docker-compose.yml builds it for every Airflow service.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN mkdir -p /opt/citystats && chown airflow:0 /opt/citystats
USER airflow
# `python -m deploy.init_deployment` (airflow-init) runs from the project root.
WORKDIR /opt/citystats

# Dependencies before the code, so that a code change reuses this layer. The lock pins
# apache-airflow to the image's own version: Airflow itself is not replaced.
COPY --chown=airflow:0 requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY --chown=airflow:0 . .
# Editable, as `make setup` installs it: include/ finds expectations/ and dags/ beside it.
RUN pip install --no-cache-dir --no-deps -e .
