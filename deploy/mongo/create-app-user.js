// Run once by the mongo image when it starts on an empty volume (/docker-entrypoint-initdb.d),
// signed in as the root user: creates the application's own user, which may read and write
// the database `aistudio` and nothing else. Its password is the secret `mongo_app_password`
// (made by deploy/generate-secrets); `mongo_url` carries the same one.
const fs = require('fs');
const password = fs.readFileSync('/run/secrets/mongo_app_password', 'utf8').trim();
db.getSiblingDB('aistudio').createUser({
  user: 'aistudio',
  pwd: password,
  roles: [{ role: 'readWrite', db: 'aistudio' }],
});
