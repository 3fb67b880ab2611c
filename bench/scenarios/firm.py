"""The firm of issue 12 generated into the suite database by bench/generate.py (seed 42):
500 employees with skills, calendars and leave; 200 customers; 2,000 opportunities;
1,000 service orders of every billing type; 1,000 projects with milestones; 100,000
timesheet lines; 5,000 expenses; 5,000 allocations. Run with --large or --only firm (not
part of the default run: several minutes here); --quick makes a hundredth of it.
Each part is a row: the cost of writing the firm is itself worth tracking."""
import time

from benchlib import Skip
from generate import Generator, Sizes

TITLE = "generate the firm of issue 12 (bench/generate.py, seed 42)"
FULL = Sizes(employees=500, customers=200, opportunities=2000, orders=1000, projects=1000,
             timesheets=100000, expenses=5000, allocations=5000)


def run(ctx):
    factor = 100 if ctx.quick else 1
    sizes = Sizes(**{name: max(value // factor, 1) for name, value in vars(FULL).items()})
    with ctx.env("suite") as env:
        if "hr.employee" not in env:
            raise Skip("hr is not installed")
        gen = Generator(env, sizes, seed=42, log=lambda _m: None)
        for part in ("skills", "employees", "customers", "opportunities", "products",
                     "orders", "projects", "timesheets", "expenses", "allocations"):
            start = time.perf_counter()
            try:
                count = getattr(gen, part)()
            except KeyError as missing:
                ctx.results.skip(f"firm / {part}", f"{missing} not installed")
                continue
            env.flush_all()
            env.cr.commit()
            if count:
                ctx.results.add(f"generate: {part}", count, time.perf_counter() - start,
                                group=f"generate {part}")
