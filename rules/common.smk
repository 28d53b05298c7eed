# Shared imports of the rule helpers (rules/validation.smk, runs.smk, paths.smk, params.smk).
# Helpers are named for what they return. No math here: the library does that.
import os

import jsonschema
import yaml
from snakemake.logging import logger
from snakemake.utils import validate

from ridgeline.config_rules import ConfigError, check_config_rules, sampled_datasets
from ridgeline.datasets import DatasetError, build_dataset, is_collinear
from ridgeline.provenance import script_fingerprint
from ridgeline.jobs import OnceFilter

logger.addFilter(OnceFilter("Will exit after finishing currently running jobs"))
