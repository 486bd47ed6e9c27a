/* placeholder */
int shmrepd_placeholder(void);
int shmrepd_placeholder(void) { return 0; }
