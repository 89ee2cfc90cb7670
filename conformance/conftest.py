# The pytest side of chatconform, one job per module (conformance/run/).
pytest_plugins = ["conformance.run.options", "conformance.run.context", "conformance.run.header", "conformance.run.identity",
                  "conformance.run.reports", "conformance.run.fixtures", "conformance.run.servers", "conformance.diagnose.plugin"]
