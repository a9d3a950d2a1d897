"""The module `dramatiq` loads in each worker process (`sohoa worker` runs
``dramatiq workers.main``): the broker from SOHOA_BROKER_URL with sohoa's actors on it."""

from pipeline.settings import load_settings
from workers.broker import connect

broker = connect(load_settings())
