"""The module `dramatiq` loads in each worker process (`sohoa worker` runs
``dramatiq workers.main``): the broker from SOHOA_BROKER_URL with sohoa's actors on it, and the
stored signatures validated again in the background when the trust roots changed (one process
of all the workers does it: `pipeline.core.trust`)."""

from pipeline.core.runtime import open_runtime
from pipeline.core.trust import start_trust_revalidation
from pipeline.settings import load_settings
from workers.broker import connect

settings = load_settings()
broker = connect(settings)
trust_revalidation = start_trust_revalidation(open_runtime(settings, classifier=None))
