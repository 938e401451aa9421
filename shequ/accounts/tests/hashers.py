from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with test-sized costs: same algorithm and hash format as production
    (so tests still prove Argon2 is used), a fraction of the CPU and memory."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
