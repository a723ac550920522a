# Adds the runtime's version, as found in the image built from ./Dockerfile once it is built
# (scripts/sandbox-image.ts reads it in a container), as a label. No layer of its own: an
# unchanged rebuild finds it in the layer cache and yields the same image.
ARG IMAGE
FROM ${IMAGE}
ARG RUNTIME_VERSION
LABEL safe-code-executor.runtime-version="${RUNTIME_VERSION}"
