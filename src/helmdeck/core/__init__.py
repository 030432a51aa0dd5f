"""What every service shares about one operation on a platform: the session (platform file, cluster
client and Helm engine, desired releases), live progress, which objects a release's health covers,
and the platform's status. Services (deploy, plan, revisions, doctor, extensions) build on it;
it knows none of them."""
