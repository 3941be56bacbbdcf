/* nbody: double-precision floating point. A softened-gravity simulation of
 * a few dozen bodies with a pairwise force loop (sqrt and a division per
 * pair) and a leapfrog step. Results are exactly reproducible across gcc
 * x86-64 and wasm: neither contracts a*b+c into an FMA here. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#define BODIES 40
#define STEPS 40000

struct body { double x, y, z, vx, vy, vz, mass; };
static struct body bodies[BODIES];

static void advance(double dt)
{
    for (int i = 0; i < BODIES; i++) {
        struct body *a = &bodies[i];
        for (int j = i + 1; j < BODIES; j++) {
            struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double distance_sq = dx * dx + dy * dy + dz * dz + 0.01;
            double magnitude = dt / (distance_sq * sqrt(distance_sq));
            a->vx -= dx * b->mass * magnitude;
            a->vy -= dy * b->mass * magnitude;
            a->vz -= dz * b->mass * magnitude;
            b->vx += dx * a->mass * magnitude;
            b->vy += dy * a->mass * magnitude;
            b->vz += dz * a->mass * magnitude;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static double energy(void)
{
    double total = 0.0;
    for (int i = 0; i < BODIES; i++) {
        const struct body *a = &bodies[i];
        total += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < BODIES; j++) {
            const struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            total -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return total;
}

int main(void)
{
    uint32_t seed = 2024;
    for (int i = 0; i < BODIES; i++) {
        double values[7];
        for (int k = 0; k < 7; k++) {
            seed = seed * 1664525u + 1013904223u;
            values[k] = (double)(seed >> 8) / 16777216.0 - 0.5;
        }
        bodies[i] = (struct body){ values[0] * 10, values[1] * 10, values[2] * 10,
                                   values[3], values[4], values[5], values[6] + 1.0 };
    }
    double before = energy();
    for (int step = 0; step < STEPS; step++)
        advance(0.001);
    double after = energy();
    uint64_t bits_hash = 0;
    for (int i = 0; i < BODIES; i++) {
        uint64_t bits;
        memcpy(&bits, &bodies[i].x, sizeof bits);
        bits_hash = (bits_hash ^ bits) * 0x100000001b3ull;
    }
    printf("nbody checksum energy %.12e -> %.12e bits %016llx\n", before, after, (unsigned long long)bits_hash);
    return 0;
}
